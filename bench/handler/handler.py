# The Python twin of index.js, for cold-start figures.
def handler(event, context):
    return {"ok": True, "n": event.get("n")}
