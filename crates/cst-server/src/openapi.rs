//! The OpenAPI 3 document served at `/api/v1/openapi.json`, written by hand from the route table
//! so it lists exactly the routes the router serves.

use crate::control::ControlCommand;
use crate::snapshot::MAX_LIST_LEN;
use serde_json::{Map, Value, json};

/// Read routes under `/api/v1`: path, summary, query parameters they accept.
pub const READ_ROUTES: [(&str, &str, &[&str]); 12] = [
    ("/health", "Overall status, mode and kill-switch level", &[]),
    ("/snapshot", "The whole system snapshot", &[]),
    ("/agents", "Supervised agents with health and restart counts", &[]),
    ("/positions", "Open positions", &["pair"]),
    ("/orders", "Open orders", &["pair"]),
    ("/fills", "Most recent fills", &["pair", "limit"]),
    ("/equity", "Equity curve and overview numbers", &["limit"]),
    ("/signals", "Signals with confidence and the reason a signal was gated or refused", &["pair", "outcome", "limit"]),
    ("/risk", "Risk state: kill switch, pause, limits, refusals by reason", &[]),
    ("/quality", "Data-quality gate per pair and interval", &["pair"]),
    ("/models", "Models in use", &[]),
    ("/stream", "Server-Sent Events: a `snapshot` event now and after every change", &[]),
];

fn parameter(name: &str) -> Value {
    match name {
        "pair" => json!({"name": "pair", "in": "query", "schema": {"type": "string", "example": "XBT/USD"}}),
        "limit" => json!({"name": "limit", "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIST_LEN}}),
        _ => json!({"name": name, "in": "query",
            "schema": {"type": "string", "enum": ["accepted", "gated", "refused", "unchanged"]}}),
    }
}

fn errors() -> Value {
    json!({
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "422": {"$ref": "#/components/responses/Invalid"},
    })
}

fn read_operation(summary: &str, params: &[&str]) -> Value {
    let content = if summary.starts_with("Server-Sent") {
        json!({"text/event-stream": {"schema": {"type": "string"}}})
    } else {
        json!({"application/json": {"schema": {"type": "object"}}})
    };
    let mut responses = errors();
    responses["200"] = json!({"description": "OK", "content": content});
    json!({"get": {
        "summary": summary,
        "parameters": params.iter().map(|p| parameter(p)).collect::<Vec<_>>(),
        "responses": responses,
    }})
}

fn control_operation(c: ControlCommand) -> Value {
    let mut responses = errors();
    responses["202"] = json!({"description": "Queued for the engine",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ControlAccepted"}}}});
    responses["403"] = json!({"$ref": "#/components/responses/Forbidden"});
    responses["503"] = json!({"$ref": "#/components/responses/Unavailable"});
    json!({"post": {
        "summary": format!("Control: {c} (needs a control token)"),
        "requestBody": {"required": true,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ControlBody"}}}},
        "responses": responses,
    }})
}

fn error_response(description: &str) -> Value {
    json!({"description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn components() -> Value {
    json!({
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
            "ControlBody": {"type": "object", "required": ["reason"], "additionalProperties": false,
                "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": crate::api::MAX_REASON_CHARS}}},
            "ControlAccepted": {"type": "object", "properties": {"accepted": {"type": "object", "properties": {
                "command": {"type": "string", "enum": ControlCommand::ALL.map(ControlCommand::as_str)},
                "reason": {"type": "string"}, "requested_at_ns": {"type": "integer"}}}}},
        },
        "responses": {
            "Unauthorized": error_response("Missing or invalid bearer token"),
            "Forbidden": error_response("Read-only token used on a control"),
            "Invalid": error_response("Invalid query or body"),
            "Unavailable": error_response("Engine not running or busy"),
        },
    })
}

/// The document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for (path, summary, params) in READ_ROUTES {
        paths.insert(format!("/api/v1{path}"), read_operation(summary, params));
    }
    paths.insert("/api/v1/openapi.json".into(), read_operation("This document", &[]));
    for c in ControlCommand::ALL {
        paths.insert(format!("/api/v1/controls/{c}"), control_operation(c));
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": "CryptoSmartTrader API", "version": env!("CARGO_PKG_VERSION"),
            "description": "State of the running system and operator controls. `/health` and `/metrics` \
                            are open; every `/api/v1` route needs `Authorization: Bearer <token>`."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": components(),
    })
}
