"""A tiny sentiment model server that follows SageMaker's container contract (standard library only).

SageMaker extracts the model data to /opt/ml/model (SM_MODEL_DIR overrides it) and sends:
- GET /ping: 200 once the model is loaded;
- POST /invocations: ``application/json`` ``{"text": "..."}`` or ``text/plain``; the answer is JSON
  ``{"label": "positive"|"negative"|"neutral", "score": float, "model": "<name>@<version>"}``.
It listens on 0.0.0.0:8080 (SAGEMAKER_BIND_TO_PORT and SERVER_HOST override them). NEUTRAL_BAND
overrides the model's neutral band, so two variants of one model can answer differently.
"""

from __future__ import annotations

import json
import os
import re
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

MODEL_FILE = "model.json"
JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain"
WORD = re.compile(r"[a-z']+")


def load_model(model_dir: Path) -> dict[str, Any]:
    """Read ``model.json``: name, version, positive and negative word lists, neutral band."""
    model: dict[str, Any] = json.loads((model_dir / MODEL_FILE).read_text(encoding="utf-8"))
    model["positive"] = set(model["positive"])
    model["negative"] = set(model["negative"])
    return model


def predict(model: dict[str, Any], text: str) -> dict[str, Any]:
    """Score ``text`` in [-1, 1] by counting lexicon words; near zero is neutral."""
    words = WORD.findall(text.lower())
    positive = sum(word in model["positive"] for word in words)
    negative = sum(word in model["negative"] for word in words)
    score = (positive - negative) / max(1, positive + negative)
    band = float(os.environ.get("NEUTRAL_BAND", model.get("neutral_band", 0.0)))
    label = "neutral" if abs(score) <= band else ("positive" if score > 0 else "negative")
    return {"label": label, "score": round(score, 4), "model": f"{model['name']}@{model['version']}"}


class Handler(BaseHTTPRequestHandler):
    model: ClassVar[dict[str, Any]] = {}

    def do_GET(self) -> None:
        if self.path == "/ping":
            self._send(HTTPStatus.OK, {"status": "ok"})
        else:
            self._send(HTTPStatus.NOT_FOUND, {"error": f"no route {self.path}"})

    def do_POST(self) -> None:
        if self.path != "/invocations":
            self._send(HTTPStatus.NOT_FOUND, {"error": f"no route {self.path}"})
            return
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        if content_type == TEXT_TYPE:
            text = body
        elif content_type == JSON_TYPE:
            try:
                text = json.loads(body)["text"]
            except (ValueError, KeyError, TypeError):
                self._send(HTTPStatus.BAD_REQUEST, {"error": 'expected a JSON object {"text": "..."}'})
                return
            if not isinstance(text, str):
                self._send(HTTPStatus.BAD_REQUEST, {"error": '"text" must be a string'})
                return
        else:
            self._send(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"error": f"use {JSON_TYPE} or {TEXT_TYPE}"})
            return
        self._send(HTTPStatus.OK, predict(self.model, text))

    def _send(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", JSON_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


def main() -> None:
    Handler.model = load_model(Path(os.environ.get("SM_MODEL_DIR", "/opt/ml/model")))
    host = os.environ.get("SERVER_HOST", "0.0.0.0")
    port = int(os.environ.get("SAGEMAKER_BIND_TO_PORT", "8080"))
    server = ThreadingHTTPServer((host, port), Handler)
    print(f"serving {Handler.model['name']} on {host}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
