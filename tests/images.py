"""Picture files made with Pillow for the photo tests (tests/store/test_photos.py,
tests/web/test_photo_views.py): a phone's JPEG with its location, a transparent PNG,
a file that only claims to be a picture."""
import io

from PIL import ExifTags, Image

MAKE = "PhoneMakerXYZ"
# 51°30'12.5"N 0°07'39"W: where the photo "was taken"
GPS = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (51.0, 30.0, 12.5),
       ExifTags.GPS.GPSLongitudeRef: "W", ExifTags.GPS.GPSLongitude: (0.0, 7.0, 39.0)}
PHP = b"<?php system($_GET['cmd']); ?>\n"  # a script, to be uploaded as "photo.jpg"


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def halves(size=(400, 200), left="red", right="blue") -> Image.Image:
    """An RGB picture, its left half one colour and its right half another."""
    image = Image.new("RGB", size, right)
    image.paste(Image.new("RGB", (size[0] // 2, size[1]), left), (0, 0))
    return image


def phone_jpeg(size=(400, 200), orientation: int = 6) -> bytes:
    """A JPEG as a phone takes it: EXIF with the maker, the location (GPS) and an
    orientation (6: to be turned 90° clockwise to be upright)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = MAKE
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.GPSInfo] = GPS
    return encoded(halves(size), "JPEG", exif=exif, quality=90)


def transparent_png(size=(300, 300)) -> bytes:
    """An RGBA PNG: transparent on the left, opaque green on the right."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    image.paste(Image.new("RGBA", (size[0] // 2, size[1]), (0, 160, 0, 255)),
                (size[0] // 2, 0))
    return encoded(image, "PNG")


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image
