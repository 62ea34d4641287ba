"""A Lambda-style Python handler: greets in the language the event asks for."""

GREETINGS = {"en": "Hello", "fr": "Bonjour", "de": "Hallo", "es": "Hola"}


def handler(event, context):
    event = event or {}
    lang = event.get("lang", "en")
    return {
        "message": f"{GREETINGS.get(lang, GREETINGS['en'])}, {event.get('name', 'world')}!",
        "version": context.function_version,
    }
