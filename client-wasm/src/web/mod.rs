//! Browser glue shared by the pages: the WebSocket with reconnects, one delegated event
//! listener, and a small element builder (text is always set as text nodes, never as
//! HTML, so nothing from a question set can become markup). Each page lives in its own
//! module — `phone`, `screen`, `console` (with `editor` and `overview`) — and is compiled in by a feature: the phone's
//! module (`phone`) holds no screen or console code, the staff module (`staff`) no
//! phone code, so a phone downloads only what it needs.
//!
//! State lives in one thread-local [`App`]; every event updates it and redraws the page.
//! Controls carry a `data-action` attribute that the delegated listener dispatches on,
//! so a redraw creates no new closures.

use std::cell::RefCell;

#[cfg(feature = "staff")]
use pejling_wire::PROTOCOL_VERSION;
use pejling_wire::{ClientMessage, ServerMessage};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, Event, HtmlElement, HtmlInputElement, KeyboardEvent, WebSocket};

use crate::i18n::{Language, Texted, Texts};

#[cfg(feature = "staff")]
mod console;
#[cfg(feature = "staff")]
mod editor;
#[cfg(feature = "staff")]
mod exchange;
#[cfg(feature = "staff")]
mod overview;
#[cfg(feature = "phone")]
mod phone;
#[cfg(feature = "staff")]
mod screen;

thread_local! {
    static APP: RefCell<Option<App>> = const { RefCell::new(None) };
}

fn with_app(f: impl FnOnce(&mut App)) {
    APP.with(|app| {
        if let Some(app) = app.borrow_mut().as_mut() {
            f(app);
        }
    });
}

#[cfg(feature = "staff")]
fn with_app_value<T: Default>(f: impl FnOnce(&App) -> T) -> T {
    APP.with(|app| app.borrow().as_ref().map(f).unwrap_or_default())
}

fn window() -> web_sys::Window {
    web_sys::window().expect("a window")
}

fn document() -> Document {
    window().document().expect("a document")
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

fn stored(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

fn store(key: &str, value: &str) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(key, value);
    }
}

/// `#token=…` from the address (kept out of server logs by being a fragment).
#[cfg(feature = "staff")]
fn hash_param(name: &str) -> Option<String> {
    let hash = window().location().hash().ok()?;
    hash.trim_start_matches('#')
        .split('&')
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .map(|value| {
            js_sys::decode_uri_component(value)
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_else(|| value.to_string())
        })
}

/// The last path segment, e.g. the code in `/j/K7MXPA`.
fn path_code() -> Option<String> {
    let path = window().location().pathname().ok()?;
    let mut parts = path.trim_matches('/').split('/');
    match (parts.next(), parts.next()) {
        (Some("j" | "screen"), Some(code)) if !code.is_empty() => {
            Some(pejling_wire::normalize_join_code(code))
        }
        _ => None,
    }
}

#[cfg(feature = "staff")]
fn public_url() -> String {
    document()
        .body()
        .and_then(|body| body.get_attribute("data-public-url"))
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| window().location().origin().unwrap_or_default())
}

// ---- a small element builder ----

struct E(Element);

fn el(tag: &str) -> E {
    E(document().create_element(tag).expect("create element"))
}

impl E {
    fn cls(self, class: &str) -> E {
        let _ = self.0.set_attribute("class", class);
        self
    }
    fn attr(self, name: &str, value: &str) -> E {
        let _ = self.0.set_attribute(name, value);
        self
    }
    fn attr_if(self, condition: bool, name: &str, value: &str) -> E {
        if condition {
            self.attr(name, value)
        } else {
            self
        }
    }
    fn id(self, id: &str) -> E {
        self.attr("id", id)
    }
    fn action(self, action: &str) -> E {
        self.attr("data-action", action)
    }
    fn text(self, text: &str) -> E {
        let _ = self.0.append_child(&document().create_text_node(text));
        self
    }
    fn kid(self, child: E) -> E {
        let _ = self.0.append_child(&child.0);
        self
    }
    fn kids(self, children: impl IntoIterator<Item = E>) -> E {
        for child in children {
            let _ = self.0.append_child(&child.0);
        }
        self
    }
}

fn button(label: &str, action: &str) -> E {
    el("button")
        .attr("type", "button")
        .action(action)
        .text(label)
}

/// Reads a server message. The phone's module decodes only the messages a participant can
/// receive (`ParticipantMessage`), so it carries no decoding code for staff messages.
#[cfg(not(feature = "staff"))]
fn decode(text: &str) -> Option<ServerMessage> {
    serde_json::from_str::<pejling_wire::ParticipantMessage>(text)
        .ok()?
        .into_server_message()
}

#[cfg(feature = "staff")]
fn decode(text: &str) -> Option<ServerMessage> {
    serde_json::from_str(text).ok()
}

// ---- the app ----

enum Page {
    #[cfg(feature = "phone")]
    Phone(crate::phone::Phone),
    #[cfg(feature = "staff")]
    Screen(screen::ScreenState),
    #[cfg(feature = "staff")]
    Console(crate::console::ConsoleModel),
    /// A page this module was not built for (e.g. the console's page served with the
    /// phone's module): says so instead of failing silently.
    Other,
}

struct App {
    page: Page,
    lang: Language,
    socket: Option<WebSocket>,
    /// Kept alive as long as the socket they belong to.
    handlers: Vec<Closure<dyn FnMut(Event)>>,
    /// Reconnect attempts since the last open socket (screen and console).
    attempt: u32,
    /// The percent slider's value once the participant has touched it; no value is
    /// preset, so the first position cannot anchor the estimate.
    percent: Option<u32>,
    number: Option<i64>,
    /// The screen the phone showed last, to move focus only when it changes.
    last_screen_key: String,
}

#[wasm_bindgen(start)]
pub fn start() {
    let body = document().body().expect("a body");
    let lang = Language::from_code(&stored("pejling.lang").unwrap_or_default());
    let page = match body.get_attribute("data-page").as_deref() {
        #[cfg(feature = "staff")]
        Some("screen") => Page::Screen(screen::ScreenState {
            code: path_code().unwrap_or_default(),
            token: hash_param("token").unwrap_or_default(),
            ..Default::default()
        }),
        #[cfg(feature = "staff")]
        Some("host") => Page::Console(crate::console::ConsoleModel {
            token: hash_param("token").or_else(|| stored_session(crate::console::HOST_KEY)),
            ..Default::default()
        }),
        #[cfg(feature = "phone")]
        Some("phone") | None => {
            let code = path_code();
            let token = code
                .as_deref()
                .and_then(|code| stored(&format!("pejling.token.{code}")));
            Page::Phone(crate::phone::Phone::new(code, token))
        }
        _ => Page::Other,
    };
    let _ = document()
        .document_element()
        .map(|root| root.set_attribute("lang", lang.code()));
    APP.with(|app| {
        *app.borrow_mut() = Some(App {
            page,
            lang,
            socket: None,
            handlers: Vec::new(),
            attempt: 0,
            percent: None,
            number: None,
            last_screen_key: String::new(),
        })
    });
    install_listeners(&body);
    with_app(|app| {
        if app.wants_connection() {
            app.connect();
        }
        app.render();
    });
}

#[cfg(feature = "staff")]
fn stored_session(key: &str) -> Option<String> {
    window()
        .session_storage()
        .ok()
        .flatten()?
        .get_item(key)
        .ok()
        .flatten()
}

fn install_listeners(body: &HtmlElement) {
    let click = Closure::<dyn FnMut(Event)>::new(|event: Event| {
        let Some(target) = event
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|t| t.closest("[data-action]").ok().flatten())
        else {
            return;
        };
        if target.has_attribute("disabled") {
            return;
        }
        let action = target.get_attribute("data-action").unwrap_or_default();
        event.prevent_default();
        with_app(|app| app.on_action(&action));
    });
    let input = Closure::<dyn FnMut(Event)>::new(|event: Event| {
        // The editor's fields name the draft's field they change.
        #[cfg(feature = "staff")]
        if let Some((path, value)) = event
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|t| Some((t.get_attribute("data-field")?, field_value(&t))))
        {
            with_app(|app| app.editor_on_field(&path, &value));
            return;
        }
        let Some(target) = event
            .target()
            .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
        else {
            return;
        };
        let id = target.id();
        let value = target.value();
        with_app(|app| app.on_input(&id, &value));
    });
    let keydown = Closure::<dyn FnMut(Event)>::new(|event: Event| {
        let Some(key) = event.dyn_ref::<KeyboardEvent>().map(|k| k.key()) else {
            return;
        };
        // The projector takes the step keys (a presentation remote).
        #[cfg(feature = "staff")]
        if with_app_value(|app| matches!(app.page, Page::Screen(_))) {
            with_app(|app| {
                if app.on_screen_key(&key) {
                    event.prevent_default();
                }
            });
            return;
        }
        if key != "Enter" {
            return;
        }
        let id = event
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .map(|t| t.id())
            .unwrap_or_default();
        let action = match id.as_str() {
            "code-input" => "join-code",
            "token-input" => "login",
            "number-input" => "answer-number",
            "label-input" => "create",
            "exchange-origin" => "exchange:share",
            _ => return,
        };
        event.prevent_default();
        with_app(|app| app.on_action(action));
    });
    // The editor's lists and ticks (`data-change`), and files dropped on it.
    #[cfg(feature = "staff")]
    {
        let change = Closure::<dyn FnMut(Event)>::new(|event: Event| {
            let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
                return;
            };
            let Some(name) = target.get_attribute("data-change") else {
                return;
            };
            let checked = target
                .dyn_ref::<HtmlInputElement>()
                .is_some_and(|input| input.checked());
            let value = field_value(&target);
            with_app(|app| {
                if !app.exchange_on_change(&name) && !app.overview_on_change(&name, &value) {
                    app.editor_on_change(&name, &value, checked);
                }
            });
        });
        let dragover = Closure::<dyn FnMut(Event)>::new(|event: Event| {
            if with_app_value(|app| app.editor_takes_files() || app.exchange_takes_files()) {
                event.prevent_default();
            }
        });
        // Dropped on the editor's list: a set to import; on the overview: exchange files.
        let drop = Closure::<dyn FnMut(Event)>::new(|event: Event| {
            let (editor, overview) =
                with_app_value(|app| (app.editor_takes_files(), app.exchange_takes_files()));
            if !editor && !overview {
                return;
            }
            event.prevent_default();
            let Some(files) = event
                .dyn_ref::<web_sys::DragEvent>()
                .and_then(|drag| drag.data_transfer())
                .and_then(|transfer| transfer.files())
            else {
                return;
            };
            if editor {
                if let Some(file) = files.get(0) {
                    editor::import_file(file);
                }
            } else {
                let files = (0..files.length()).filter_map(|i| files.get(i)).collect();
                with_app(|app| app.exchange_import(files));
            }
        });
        // Leaving the page (reload, Back, closing the tab) with an unsaved set: the
        // browser asks first.
        let unload = Closure::<dyn FnMut(Event)>::new(|event: Event| {
            if with_app_value(|app| app.editor_unsaved()) {
                event.prevent_default();
                if let Some(event) = event.dyn_ref::<web_sys::BeforeUnloadEvent>() {
                    event.set_return_value("unsaved");
                }
            }
        });
        let _ = window()
            .add_event_listener_with_callback("beforeunload", unload.as_ref().unchecked_ref());
        unload.forget();
        for (name, listener) in [("change", change), ("dragover", dragover), ("drop", drop)] {
            let _ = body.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
            listener.forget();
        }
    }
    let _ = body.add_event_listener_with_callback("click", click.as_ref().unchecked_ref());
    let _ = body.add_event_listener_with_callback("input", input.as_ref().unchecked_ref());
    let _ = body.add_event_listener_with_callback("keydown", keydown.as_ref().unchecked_ref());
    // The projector's text is fitted to the window: draw it afresh at a new size.
    #[cfg(feature = "staff")]
    {
        let resize = Closure::<dyn FnMut(Event)>::new(|_event: Event| {
            with_app(|app| {
                if let Page::Screen(screen) = &mut app.page {
                    screen.drawn = None;
                    app.render();
                }
            });
        });
        let _ =
            window().add_event_listener_with_callback("resize", resize.as_ref().unchecked_ref());
        resize.forget();
    }
    // These listeners live as long as the page.
    click.forget();
    input.forget();
    keydown.forget();
}

/// The value of an input, a text area or a list.
#[cfg(feature = "staff")]
fn field_value(element: &Element) -> String {
    if let Some(input) = element.dyn_ref::<HtmlInputElement>() {
        input.value()
    } else if let Some(area) = element.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        area.value()
    } else if let Some(select) = element.dyn_ref::<web_sys::HtmlSelectElement>() {
        select.value()
    } else {
        String::new()
    }
}

fn input_value(id: &str) -> String {
    document()
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
        .map(|e| e.value())
        .unwrap_or_default()
}

impl App {
    fn texts(&self) -> &'static Texts {
        self.lang.texts()
    }

    fn wants_connection(&self) -> bool {
        match &self.page {
            #[cfg(feature = "phone")]
            Page::Phone(phone) => phone.wants_connection(),
            #[cfg(feature = "staff")]
            Page::Screen(screen) => !screen.code.is_empty() && screen.model.error.is_none(),
            #[cfg(feature = "staff")]
            Page::Console(console) => console.token.is_some(),
            Page::Other => false,
        }
    }

    fn connect(&mut self) {
        self.close_socket();
        let location = window().location();
        let scheme = if location.protocol().unwrap_or_default() == "https:" {
            "wss"
        } else {
            "ws"
        };
        let url = format!("{scheme}://{}/ws", location.host().unwrap_or_default());
        let Ok(socket) = WebSocket::new(&url) else {
            self.schedule_reconnect();
            return;
        };
        let on_open = Closure::<dyn FnMut(Event)>::new(|_| with_app(|app| app.on_open()));
        let on_message = Closure::<dyn FnMut(Event)>::new(|event: Event| {
            let text = event
                .dyn_ref::<web_sys::MessageEvent>()
                .and_then(|m| m.data().as_string());
            if let Some(message) = text.and_then(|t| decode(&t)) {
                with_app(|app| app.on_message(message));
            }
        });
        let on_close = Closure::<dyn FnMut(Event)>::new(|_| with_app(|app| app.on_close()));
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        self.handlers = vec![on_open, on_message, on_close];
        self.socket = Some(socket);
    }

    fn close_socket(&mut self) {
        if let Some(socket) = self.socket.take() {
            socket.set_onopen(None);
            socket.set_onmessage(None);
            socket.set_onclose(None);
            let _ = socket.close();
        }
        self.handlers.clear();
    }

    fn send(&self, message: &ClientMessage) {
        if let (Some(socket), Ok(text)) = (&self.socket, serde_json::to_string(message))
            && socket.ready_state() == WebSocket::OPEN
        {
            let _ = socket.send_with_str(&text);
        }
    }

    fn schedule_reconnect(&mut self) {
        let delay = match &mut self.page {
            #[cfg(feature = "phone")]
            Page::Phone(phone) => phone.on_close(js_sys::Math::random()),
            _ => {
                self.attempt += 1;
                self.wants_connection()
                    .then(|| crate::phone::backoff_ms(self.attempt, js_sys::Math::random()))
            }
        };
        if let Some(delay) = delay {
            let callback = Closure::once_into_js(|| {
                with_app(|app| {
                    if app.wants_connection() {
                        app.connect();
                    }
                })
            });
            let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(
                callback.unchecked_ref(),
                delay as i32,
            );
        }
    }

    fn on_open(&mut self) {
        self.attempt = 0;
        let messages: Vec<ClientMessage> = match &mut self.page {
            #[cfg(feature = "phone")]
            Page::Phone(phone) => phone
                .on_open()
                .into_iter()
                .filter_map(|o| match o {
                    crate::phone::Output::Send(m) => Some(m),
                    _ => None,
                })
                .collect(),
            #[cfg(feature = "staff")]
            Page::Screen(screen) => vec![ClientMessage::Watch {
                version: PROTOCOL_VERSION,
                code: screen.code.clone(),
                token: screen.token.clone(),
            }],
            #[cfg(feature = "staff")]
            Page::Console(console) => console
                .token
                .clone()
                .map(|host_token| ClientMessage::Host {
                    version: PROTOCOL_VERSION,
                    host_token,
                })
                .into_iter()
                .collect(),
            Page::Other => Vec::new(),
        };
        for message in &messages {
            self.send(message);
        }
        self.render();
    }

    fn on_close(&mut self) {
        self.close_socket();
        self.schedule_reconnect();
        self.render();
    }

    fn on_message(&mut self, message: ServerMessage) {
        // The console redraws itself, as much as the message changed.
        let (to_send, stop, redraw) = match &mut self.page {
            #[cfg(feature = "phone")]
            Page::Phone(_) => {
                let (send, stop) = self.phone_on_message(message);
                (send, stop, true)
            }
            #[cfg(feature = "staff")]
            Page::Screen(screen) => (Vec::new(), screen.model.on_message(message), true),
            #[cfg(feature = "staff")]
            Page::Console(_) => {
                let (send, stop) = self.console_on_message(message);
                (send, stop, false)
            }
            Page::Other => (Vec::new(), true, true),
        };
        for message in &to_send {
            self.send(message);
        }
        if stop {
            self.close_socket();
        }
        if redraw {
            self.render();
        }
    }

    fn on_action(&mut self, action: &str) {
        let (name, arg) = action.split_once(':').unwrap_or((action, ""));
        if name == "lang" {
            self.lang = self.lang.other();
            store("pejling.lang", self.lang.code());
            let _ = document()
                .document_element()
                .map(|root| root.set_attribute("lang", self.lang.code()));
            self.render();
            return;
        }
        #[cfg(feature = "phone")]
        if self.phone_on_action(name, arg) {
            return;
        }
        #[cfg(feature = "staff")]
        if self.editor_on_action(name, arg)
            || self.exchange_on_action(name, arg)
            || self.overview_on_action(name, arg)
            || self.console_on_action(name, arg)
        {
            return;
        }
        let _ = arg;
    }

    #[cfg_attr(
        not(any(feature = "phone", feature = "staff")),
        allow(unused_variables)
    )]
    fn on_input(&mut self, id: &str, value: &str) {
        #[cfg(feature = "phone")]
        self.phone_on_input(id, value);
        #[cfg(feature = "staff")]
        self.exchange_on_input(id, value);
    }

    fn render(&mut self) {
        let Some(root) = document().get_element_by_id("app") else {
            return;
        };
        let (content, key) = match &self.page {
            #[cfg(feature = "phone")]
            Page::Phone(phone) => self.render_phone(phone),
            #[cfg(feature = "staff")]
            Page::Screen(_) => {
                self.render_screen_if_changed(&root);
                return;
            }
            #[cfg(feature = "staff")]
            Page::Console(console) => {
                // A full redraw (a new session state) keeps what the facilitator had open
                // and where the keyboard was.
                let focused = document().active_element().map(|e| e.id());
                let note_open = document()
                    .query_selector("details#facilitator-note[open]")
                    .ok()
                    .flatten()
                    .is_some();
                root.replace_children_with_node_1(&self.render_console(console).0);
                // The editor's problems are written beside their fields after a redraw
                // (a change of language, a structural edit).
                self.editor_show_problems();
                if note_open && let Some(note) = document().get_element_by_id("facilitator-note") {
                    let _ = note.set_attribute("open", "");
                }
                if let Some(element) = focused
                    .filter(|id| !id.is_empty())
                    .and_then(|id| document().get_element_by_id(&id))
                    .and_then(|e| e.dyn_into::<HtmlElement>().ok())
                {
                    let _ = element.focus();
                }
                return;
            }
            Page::Other => (
                el("main").kid(el("p").text("pejling: this page is not part of this module.")),
                String::new(),
            ),
        };
        root.replace_children_with_node_1(&content.0);
        // Move focus to the new heading when the phone shows something new, so a screen
        // reader announces it; not on every update, which would steal focus.
        if !key.is_empty() && key != self.last_screen_key {
            if let Some(heading) = document()
                .get_element_by_id("main-heading")
                .and_then(|h| h.dyn_into::<HtmlElement>().ok())
            {
                let _ = heading.focus();
            }
            if !key.starts_with("answering") {
                self.percent = None;
                self.number = None;
            }
        }
        self.last_screen_key = key;
    }

    fn lang_switch(&self) -> E {
        button(self.lang.other().texts().switch_to, "lang")
            .cls("lang")
            .attr("lang", self.lang.other().code())
    }
}

/// Puts the keyboard on the element with this id, if it is there and can take it.
#[cfg(feature = "staff")]
fn focus_element(id: &str) -> bool {
    match document()
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
    {
        Some(element) if !element.has_attribute("disabled") => element.focus().is_ok(),
        _ => false,
    }
}

/// A file the user picked or dropped, as bytes to send (`None` if it cannot be read).
#[cfg(feature = "staff")]
async fn read_bytes(file: &web_sys::File) -> Option<js_sys::Uint8Array> {
    wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .ok()
        .map(|buffer| js_sys::Uint8Array::new(&buffer))
}

/// Saves `text` as a file named `name` (a download), from memory: what the console
/// fetched with the host token in a header (a set file, the period report), so no link
/// it uses carries the token. `mime` is the file's type, e.g. `text/html`.
#[cfg(feature = "staff")]
fn save_file(name: &str, text: &str, mime: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    save_blob(name, &blob)
}

/// Saves bytes as they came (a CSV keeps its byte-order mark, which text would lose).
#[cfg(feature = "staff")]
fn save_blob(name: &str, blob: &web_sys::Blob) -> Result<(), JsValue> {
    let url = web_sys::Url::create_object_url_with_blob(blob)?;
    let link: web_sys::HtmlAnchorElement = document().create_element("a")?.dyn_into()?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    web_sys::Url::revoke_object_url(&url)?;
    Ok(())
}

/// `GET path` with `token` in an `Authorization` header, so the address holds no token
/// (browser history, the downloads list, a network log); `None` when nothing came back.
#[cfg(feature = "staff")]
async fn fetch_with_token(path: &str, token: &str) -> Option<web_sys::Response> {
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    let headers = web_sys::Headers::new().ok()?;
    headers
        .set("Authorization", &format!("Bearer {token}"))
        .ok()?;
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(path, &init).ok()?;
    wasm_bindgen_futures::JsFuture::from(window().fetch_with_request(&request))
        .await
        .ok()?
        .dyn_into()
        .ok()
}

/// The body of a `200` answer as a blob (its bytes as they came, typed as the server
/// said), with its `Content-Disposition`; `None` for any other answer.
#[cfg(feature = "staff")]
async fn fetch_blob(path: &str, token: &str) -> Option<(web_sys::Blob, Option<String>)> {
    let response = fetch_with_token(path, token).await?;
    if response.status() != 200 {
        return None;
    }
    let disposition = response.headers().get("Content-Disposition").ok().flatten();
    let blob = wasm_bindgen_futures::JsFuture::from(response.blob().ok()?)
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    Some((blob, disposition))
}

#[cfg(feature = "staff")]
thread_local! {
    /// Charts fetched with a token, as object URLs by address (which holds no token),
    /// `None` while one is being fetched: an `<img>` drawn again (a console redraws on
    /// every tally) shows its chart at once. The last few only.
    static CHARTS: RefCell<Vec<(String, Option<String>)>> = const { RefCell::new(Vec::new()) };
}

/// Charts kept in memory: the console's current one and the screen's, with room.
#[cfg(feature = "staff")]
const CHARTS_KEPT: usize = 8;

/// Shows the server's chart at `path` in `image` (an `<img>`): fetched with `token` in a
/// header and shown from memory, as an `<img src>` would put the token in an address.
/// Every image drawn for the same address since gets it when it arrives.
#[cfg(feature = "staff")]
fn show_chart(image: &Element, path: &str, token: &str) {
    let _ = image.set_attribute("data-chart", path);
    let known = CHARTS.with(|charts| {
        charts
            .borrow()
            .iter()
            .find(|(address, _)| address == path)
            .map(|(_, url)| url.clone())
    });
    match known {
        Some(Some(url)) => {
            let _ = image.set_attribute("src", &url);
            return;
        }
        // Being fetched: shown on arrival.
        Some(None) => return,
        None => {}
    }
    CHARTS.with(|charts| charts.borrow_mut().push((path.to_string(), None)));
    let (path, token) = (path.to_string(), token.to_string());
    wasm_bindgen_futures::spawn_local(async move {
        let url = fetch_blob(&path, &token)
            .await
            .and_then(|(blob, _)| web_sys::Url::create_object_url_with_blob(&blob).ok());
        CHARTS.with(|charts| {
            let mut charts = charts.borrow_mut();
            // A chart that did not come (hidden, the session ended) is asked for again
            // when it is drawn again.
            charts.retain(|(address, _)| *address != path);
            if let Some(url) = &url {
                charts.push((path.clone(), Some(url.clone())));
            }
            while charts.len() > CHARTS_KEPT {
                if let (_, Some(old)) = charts.remove(0) {
                    let _ = web_sys::Url::revoke_object_url(&old);
                }
            }
        });
        let (Some(url), Ok(images)) = (url, document().query_selector_all("img[data-chart]"))
        else {
            return;
        };
        for i in 0..images.length() {
            if let Some(image) = images.item(i).and_then(|n| n.dyn_into::<Element>().ok())
                && image.get_attribute("data-chart").as_deref() == Some(path.as_str())
            {
                let _ = image.set_attribute("src", &url);
            }
        }
    });
}

/// Percent-encodes a query value (a user-chosen host token may hold any character).
#[cfg(feature = "staff")]
fn encode_component(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}
