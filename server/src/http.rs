//! HTTP routes: the WebSocket endpoint, the embedded pages, and a health check. Every
//! asset is embedded in the binary (rust-embed); nothing is fetched from the internet.

use std::sync::Arc;

use axum::Router;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pejling_wire::MAX_MESSAGE_BYTES;
use rust_embed::RustEmbed;

use crate::server::App;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/ws", get(websocket))
        .route("/healthz", get(|| async { "ok" }))
        .route("/", get(|| async { page("index.html") }))
        .route("/j/{code}", get(|| async { page("join.html") }))
        .route("/host", get(|| async { page("host.html") }))
        .route("/screen/{code}", get(|| async { page("screen.html") }))
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "siden findes ikke (page not found)\n",
            )
        })
        .with_state(app)
}

async fn websocket(upgrade: WebSocketUpgrade, State(app): State<Arc<App>>) -> Response {
    upgrade
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        // Small buffers: a participant sends a few short messages per question, and a
        // school hall may hold thousands of connections.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .on_upgrade(move |socket| crate::ws::serve_socket(socket, app))
}

fn page(name: &str) -> Response {
    match Assets::get(name) {
        Some(file) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            file.data,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
