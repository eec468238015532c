"""A tiny sentiment model server that follows SageMaker's container contract (standard library only).

SageMaker extracts the model data to /opt/ml/model (SM_MODEL_DIR overrides it) and sends:
- GET /ping: 200 once the model is loaded;
- POST /invocations: ``application/json`` ``{"text": "..."}`` or ``text/plain``; the answer is JSON
  ``{"label": "positive"|"negative"|"neutral", "score": float, "model": "<name>@<version>"}``.
It listens on 0.0.0.0:8080 (SAGEMAKER_BIND_TO_PORT and SERVER_HOST override them). NEUTRAL_BAND
overrides the model's neutral band, so two variants of one model can answer differently.

On a multi-model endpoint SageMaker sets SAGEMAKER_MULTI_MODEL=true and drives the Multi Model Server API
instead (the image's label ``com.amazonaws.sagemaker.capabilities.multi-models=true`` says it can):
- POST /models ``{"model_name": "<name>", "url": "<dir>"}``: load the model SageMaker extracted to ``url``
  (409 if loaded, 404 if the directory has no model);
- GET /models: ``{"models": [{"modelName": ..., "modelUrl": ...}]}``; GET /models/<name>: one, or 404;
- DELETE /models/<name>: unload (404 if not loaded);
- POST /models/<name>/invoke: as /invocations, with that model (404 if not loaded).
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
from urllib.parse import unquote

MODEL_FILE = "model.json"
JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain"
WORD = re.compile(r"[a-z']+")
MODEL_ROUTE = re.compile(r"/models/(?P<name>[^/]+)(?P<invoke>/invoke)?")


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
    multi_model: ClassVar[bool] = False
    loaded: ClassVar[dict[str, tuple[str, dict[str, Any]]]] = {}  # multi-model: name -> (url, model)

    def do_GET(self) -> None:
        route = MODEL_ROUTE.fullmatch(self.path)
        if self.path == "/ping":
            self._send(HTTPStatus.OK, {"status": "ok"})
        elif self.multi_model and self.path == "/models":
            models = [{"modelName": name, "modelUrl": url} for name, (url, _) in sorted(self.loaded.items())]
            self._send(HTTPStatus.OK, {"models": models})
        elif self.multi_model and route and not route["invoke"]:
            name = unquote(route["name"])
            if name in self.loaded:
                self._send(HTTPStatus.OK, {"modelName": name, "modelUrl": self.loaded[name][0]})
            else:
                self._send(HTTPStatus.NOT_FOUND, {"error": f"model {name!r} is not loaded"})
        else:
            self._send(HTTPStatus.NOT_FOUND, {"error": f"no route {self.path}"})

    def do_POST(self) -> None:
        route = MODEL_ROUTE.fullmatch(self.path)
        if self.multi_model and self.path == "/models":
            self._load()
        elif self.multi_model and route and route["invoke"]:
            name = unquote(route["name"])
            if name in self.loaded:
                self._invoke(self.loaded[name][1])
            else:
                self._send(HTTPStatus.NOT_FOUND, {"error": f"model {name!r} is not loaded"})
        elif self.path == "/invocations" and not self.multi_model:
            self._invoke(self.model)
        else:
            self._send(HTTPStatus.NOT_FOUND, {"error": f"no route {self.path}"})

    def do_DELETE(self) -> None:
        route = MODEL_ROUTE.fullmatch(self.path)
        name = unquote(route["name"]) if route and not route["invoke"] else None
        if not self.multi_model or name is None:
            self._send(HTTPStatus.NOT_FOUND, {"error": f"no route {self.path}"})
        elif self.loaded.pop(name, None) is None:
            self._send(HTTPStatus.NOT_FOUND, {"error": f"model {name!r} is not loaded"})
        else:
            self._send(HTTPStatus.OK, {"status": f"unloaded {name}"})

    def _load(self) -> None:
        try:
            request = json.loads(self._body())
            name, url = request["model_name"], request["url"]
        except (ValueError, KeyError, TypeError):
            self._send(HTTPStatus.BAD_REQUEST, {"error": 'expected {"model_name": "...", "url": "..."}'})
            return
        if name in self.loaded:
            self._send(HTTPStatus.CONFLICT, {"error": f"model {name!r} is already loaded"})
            return
        try:
            self.loaded[name] = (url, load_model(Path(url)))
        except (OSError, ValueError, KeyError) as error:
            self._send(HTTPStatus.NOT_FOUND, {"error": f"no model at {url!r}: {error}"})
            return
        self._send(HTTPStatus.OK, {"status": f"loaded {name}"})

    def _body(self) -> str:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")

    def _invoke(self, model: dict[str, Any]) -> None:
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        body = self._body()
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
        self._send(HTTPStatus.OK, predict(model, text))

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
    Handler.multi_model = os.environ.get("SAGEMAKER_MULTI_MODEL", "").lower() == "true"
    if not Handler.multi_model:
        Handler.model = load_model(Path(os.environ.get("SM_MODEL_DIR", "/opt/ml/model")))
    host = os.environ.get("SERVER_HOST", "0.0.0.0")
    port = int(os.environ.get("SAGEMAKER_BIND_TO_PORT", "8080"))
    server = ThreadingHTTPServer((host, port), Handler)
    serving = "multi-model" if Handler.multi_model else Handler.model["name"]
    print(f"serving {serving} on {host}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
