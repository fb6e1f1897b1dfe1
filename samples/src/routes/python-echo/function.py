"""A Lambda custom runtime in a few lines of Python: echoes each request's body."""
import base64, json, os, urllib.request

API = "http://%s/2018-06-01/runtime" % os.environ["AWS_LAMBDA_RUNTIME_API"]


def handler(event):
    body = event.get("body", "")
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8", "replace")
    return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": body}


while True:
    with urllib.request.urlopen(API + "/invocation/next") as r:
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    try:
        path, result = "/response", handler(event)
    except Exception as e:
        path, result = "/error", {"errorMessage": str(e), "errorType": type(e).__name__}
    urllib.request.urlopen(urllib.request.Request(API + "/invocation/" + request_id + path,
                                                  data=json.dumps(result).encode()))
