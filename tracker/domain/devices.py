"""A device's name for people (pure): "Chrome on Android", from a User-Agent header."""

# The first token found wins, so the more specific come first (Edge's UA also says Chrome/).
BROWSERS = (("Edg/", "Edge"), ("SamsungBrowser", "Samsung Internet"), ("OPR/", "Opera"),
            ("Firefox/", "Firefox"), ("FxiOS", "Firefox"), ("CriOS", "Chrome"),
            ("Chrome/", "Chrome"), ("Safari/", "Safari"))
SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
           ("Windows", "Windows"), ("Macintosh", "Mac"), ("CrOS", "ChromeOS"),
           ("Linux", "Linux"))


def device_label(user_agent: str) -> str:
    """Enough to tell a user's devices apart in a list; "A browser" when nothing is known."""
    browser = next((name for token, name in BROWSERS if token in user_agent), "A browser")
    system = next((name for token, name in SYSTEMS if token in user_agent), None)
    return f"{browser} on {system}" if system else browser
