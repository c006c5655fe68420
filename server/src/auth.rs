//! Who may use a staff route, decided in one place for the WebSocket and every HTTP
//! route: a join code or a host or screen token that matches nothing is a guess, charged
//! to the client address's guessing budget (`limits::Guard::wrong_guess`, 20 a minute),
//! and an address that has spent it is refused, even with a right token, until it has
//! waited (else a right answer among the refusals would still tell a guesser it was
//! right). A right token is never charged.
//!
//! Over HTTP the token comes as `Authorization: Bearer TOKEN` (what the console sends, so
//! no address it uses holds a token) or, for scripts, `?token=TOKEN`. The extractors:
//! [`Host`] for the facilitator's routes, [`ScreenOrHost`] for a session's chart.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Query, RawPathParams};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::app::App;
use crate::limits::{Guard, Limit};

/// What became of a guess (a join code, a host or screen token).
pub enum Guess<T> {
    /// It matched: what it matched.
    Right(T),
    /// It matched nothing, and was charged.
    Wrong,
    /// The address has spent its budget and must wait; nothing was tried.
    Spent,
}

/// The one place a guess from `peer` is judged: refused unchecked when the address has
/// spent its budget, else `check` decides, and a miss is charged.
pub fn guess<T>(guard: &Guard, peer: IpAddr, check: impl FnOnce() -> Option<T>) -> Guess<T> {
    if !guard.may_guess(peer) {
        guard.hit(Limit::UnknownCodes);
        return Guess::Spent;
    }
    charged(guard, peer, check())
}

/// [`guess`] with a check that looks something up (a session that may have to be loaded
/// from the store): not run at all when the address has spent its budget; a failed
/// lookup is nobody's guess and charges nothing.
pub async fn guess_with<T, E>(
    guard: &Guard,
    peer: IpAddr,
    check: impl Future<Output = Result<Option<T>, E>>,
) -> Result<Guess<T>, E> {
    if !guard.may_guess(peer) {
        guard.hit(Limit::UnknownCodes);
        return Ok(Guess::Spent);
    }
    Ok(charged(guard, peer, check.await?))
}

fn charged<T>(guard: &Guard, peer: IpAddr, found: Option<T>) -> Guess<T> {
    match found {
        Some(found) => Guess::Right(found),
        None => {
            guard.wrong_guess(peer);
            Guess::Wrong
        }
    }
}

/// Compares two tokens through their hashes, so the time taken does not tell where they
/// differ.
pub fn same_token(given: &str, right: &str) -> bool {
    Sha256::digest(given.as_bytes()) == Sha256::digest(right.as_bytes())
}

/// The host token checked: a route that takes a `Host` answers `403` without the right
/// one and `429` when the address has guessed too often.
pub struct Host;

impl FromRequestParts<Arc<App>> for Host {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Host, Response> {
        let token = presented(parts).ok_or_else(|| {
            refusal(
                StatusCode::FORBIDDEN,
                "the host token is needed: send it as Authorization: Bearer TOKEN \
                 (or ?token=TOKEN from a script)",
            )
        })?;
        let peer = peer(parts)?;
        match guess(&app.guard, peer, || app.is_host_token(&token).then_some(())) {
            Guess::Right(()) => Ok(Host),
            Guess::Wrong => Err(refusal(
                StatusCode::FORBIDDEN,
                "this is not the host token (the one pejling printed at start, in \
                 /host#token=…); wrong tokens from one address are counted, and after \
                 too many it must wait",
            )),
            Guess::Spent => Err(spent(&app.guard)),
        }
    }
}

/// A session's screen token, or the host token, for a route with the session's id as
/// `{session_id}` in its path. Screen tokens are derived from the id, so
/// a token is judged whether the session runs or not, and a route cannot be used to find
/// out which ids run without a right token.
pub struct ScreenOrHost;

impl FromRequestParts<Arc<App>> for ScreenOrHost {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<ScreenOrHost, Response> {
        let session_id = RawPathParams::from_request_parts(parts, app)
            .await
            .ok()
            .and_then(|params| {
                params
                    .iter()
                    .find(|(name, _)| *name == "session_id")
                    .map(|(_, value)| value.to_string())
            })
            .unwrap_or_default();
        let token = presented(parts).ok_or_else(|| {
            refusal(
                StatusCode::FORBIDDEN,
                "a screen or host token is needed: send it as Authorization: Bearer TOKEN \
                 (or ?token=TOKEN from a script)",
            )
        })?;
        let peer = peer(parts)?;
        let check = || {
            (app.is_host_token(&token)
                || same_token(&token, &app.hub.secrets.screen_token(&session_id)))
            .then_some(())
        };
        match guess(&app.guard, peer, check) {
            Guess::Right(()) => Ok(ScreenOrHost),
            Guess::Wrong => Err(refusal(
                StatusCode::FORBIDDEN,
                "this is not the session's screen token (nor the host token); wrong \
                 tokens from one address are counted, and after too many it must wait",
            )),
            Guess::Spent => Err(spent(&app.guard)),
        }
    }
}

/// The token a request presents: the bearer header, else `?token=`; `None` when it
/// gives none (not a guess: it cannot be right).
fn presented(parts: &Parts) -> Option<String> {
    let from_header = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .map(str::to_string);
    from_header
        .or_else(|| {
            Query::<TokenQuery>::try_from_uri(&parts.uri)
                .ok()
                .and_then(|Query(query)| query.token)
        })
        .filter(|token| !token.is_empty())
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// The client's address, which the server's connection loop puts on every request.
#[allow(clippy::result_large_err)] // the refusal is the route's answer, as extractors return it
fn peer(parts: &Parts) -> Result<IpAddr, Response> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip())
        .ok_or_else(|| {
            // Not counted means not allowed: a guess must always be chargeable.
            refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the client's address is unknown, so its token is not checked",
            )
        })
}

/// `429` for an address that has spent its guesses, with when to try again.
fn spent(guard: &Guard) -> Response {
    let mut response = refusal(
        StatusCode::TOO_MANY_REQUESTS,
        "too many wrong tokens or join codes came from this address; wait a minute, then \
         try again with the right token",
    );
    let seconds = guard.limits().unknown_codes.every.as_secs().max(1);
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_str(&seconds.to_string()).expect("digits"),
    );
    response
}

fn refusal(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{text}\n"),
    )
        .into_response()
}
