"""Merge MIME user-data the way cloud-init does on first boot.

Usage: python3 merge.py USER-DATA
Prints, as JSON, the merged cloud-config and the other parts cloud-init
found: {"cloud_config": {...}, "parts": [[content_type, filename], ...]}.
Uses the installed cloud-init's own UserDataProcessor and
CloudConfigPartHandler, so the test sees cloud-init's merge rules, not ours.
"""
import json
import sys
import tempfile

from cloudinit import handlers, helpers, user_data
from cloudinit.handlers.cloud_config import CloudConfigPartHandler


def main(path):
    with open(path, "rb") as f:
        raw = f.read()
    with tempfile.TemporaryDirectory() as tmp:
        paths = helpers.Paths({"cloud_dir": tmp, "run_dir": tmp})
        msg = user_data.UserDataProcessor(paths).process(raw)
        handler = CloudConfigPartHandler(paths)
        handler.cloud_fn = None  # keep the result in memory
        handler.handle_part(None, handlers.CONTENT_START, None, None, None, None)
        parts = []
        for part in msg.walk():
            if part.get_content_maintype() == "multipart":
                continue
            ctype = part.get_content_type()
            payload = part.get_payload(decode=True).decode("utf-8")
            parts.append([ctype, part.get_filename()])
            if ctype == "text/cloud-config":
                handler.handle_part(None, ctype, part.get_filename(), payload, None, dict(part.items()))
        print(json.dumps({"cloud_config": handler.cloud_buf, "parts": parts}))


if __name__ == "__main__":
    main(sys.argv[1])
