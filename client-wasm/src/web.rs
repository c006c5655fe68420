//! Browser glue: the WebSocket with reconnects, one delegated event listener, and
//! rendering of the three pages with plain DOM calls (text is always set as text nodes,
//! never as HTML, so nothing from a question set can become markup).
//!
//! State lives in one thread-local [`App`]; every event updates it and re-renders the
//! page's `#app` element. Controls carry a `data-action` attribute that the delegated
//! listener dispatches on, so a re-render creates no new closures.

use std::cell::RefCell;

use pejling_wire::{
    Action, Answer, ClientMessage, ErrorCode, Hidden, PROTOCOL_VERSION, Phase, QuestionKindView,
    QuestionStatus, QuestionView, ServerMessage, SessionState, SessionSummary, SetSummary, Tally,
};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, Event, HtmlElement, HtmlInputElement, KeyboardEvent, WebSocket};

use crate::bars::{bars, decimal};
use crate::i18n::{Lang, Texts, question_of};
use crate::phone::{Output, Phone, PhoneError, Screen};
use crate::screen::{KeyOutcome, ResultView, ScreenModel, ScreenView, action_label};

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
        (Some("j" | "screen"), Some(code)) if !code.is_empty() => Some(code.to_uppercase()),
        _ => None,
    }
}

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

// ---- the app ----

enum Page {
    Phone(Phone),
    Screen(ScreenState),
    Console(ConsoleState),
}

#[derive(Default)]
struct ScreenState {
    code: String,
    token: String,
    model: ScreenModel,
    /// The view drawn last: the page is redrawn only when it changes, so the chart is not
    /// fetched again on every tally.
    drawn: Option<ScreenView>,
}

#[derive(Default)]
struct ConsoleState {
    token: Option<String>,
    authenticated: bool,
    error: Option<String>,
    sets: Vec<SetSummary>,
    sessions: Vec<SessionSummary>,
    session: Option<SessionState>,
    tally: Option<Tally>,
}

struct App {
    page: Page,
    lang: Lang,
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
    let lang = Lang::from_code(&stored("pejling.lang").unwrap_or_default());
    let page = match body.get_attribute("data-page").as_deref() {
        Some("screen") => Page::Screen(ScreenState {
            code: path_code().unwrap_or_default(),
            token: hash_param("token").unwrap_or_default(),
            ..ScreenState::default()
        }),
        Some("host") => Page::Console(ConsoleState {
            token: hash_param("token").or_else(|| stored_session("pejling.host")),
            ..ConsoleState::default()
        }),
        _ => {
            let code = path_code();
            let token = code
                .as_deref()
                .and_then(|code| stored(&format!("pejling.token.{code}")));
            Page::Phone(Phone::new(code, token))
        }
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
        let on_screen = with_app_value(|app| matches!(app.page, Page::Screen(_)));
        if on_screen {
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
            _ => return,
        };
        event.prevent_default();
        with_app(|app| app.on_action(action));
    });
    let _ = body.add_event_listener_with_callback("click", click.as_ref().unchecked_ref());
    let _ = body.add_event_listener_with_callback("input", input.as_ref().unchecked_ref());
    let _ = body.add_event_listener_with_callback("keydown", keydown.as_ref().unchecked_ref());
    // The projector's text is fitted to the window: draw it afresh at a new size.
    let resize = Closure::<dyn FnMut(Event)>::new(|_event: Event| {
        with_app(|app| {
            if let Page::Screen(screen) = &mut app.page {
                screen.drawn = None;
                app.render();
            }
        });
    });
    let _ = window().add_event_listener_with_callback("resize", resize.as_ref().unchecked_ref());
    resize.forget();
    // These listeners live as long as the page.
    click.forget();
    input.forget();
    keydown.forget();
}

fn input_value(id: &str) -> String {
    document()
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
        .map(|e| e.value())
        .unwrap_or_default()
}

/// The values of the checked checkboxes that match `css`.
fn checked_values(css: &str) -> Vec<String> {
    let Ok(nodes) = document().query_selector_all(css) else {
        return Vec::new();
    };
    (0..nodes.length())
        .filter_map(|i| nodes.item(i)?.dyn_into::<HtmlInputElement>().ok())
        .filter(|input| input.checked())
        .map(|input| input.value())
        .collect()
}

fn select_value(id: &str) -> String {
    document()
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<web_sys::HtmlSelectElement>().ok())
        .map(|e| e.value())
        .unwrap_or_default()
}

fn set_text(id: &str, text: &str) {
    if let Some(element) = document().get_element_by_id(id) {
        element.set_text_content(Some(text));
    }
}

impl App {
    fn texts(&self) -> &'static Texts {
        self.lang.texts()
    }

    fn wants_connection(&self) -> bool {
        match &self.page {
            Page::Phone(phone) => phone.wants_connection(),
            Page::Screen(screen) => !screen.code.is_empty() && screen.model.error.is_none(),
            Page::Console(console) => console.token.is_some(),
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
            if let Some(message) = text.and_then(|t| serde_json::from_str(&t).ok()) {
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
            Page::Phone(phone) => phone
                .on_open()
                .into_iter()
                .filter_map(|o| match o {
                    Output::Send(m) => Some(m),
                    _ => None,
                })
                .collect(),
            Page::Screen(screen) => vec![ClientMessage::Watch {
                version: PROTOCOL_VERSION,
                code: screen.code.clone(),
                token: screen.token.clone(),
            }],
            Page::Console(console) => console
                .token
                .clone()
                .map(|host_token| ClientMessage::Host {
                    version: PROTOCOL_VERSION,
                    host_token,
                })
                .into_iter()
                .collect(),
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
        let mut to_send = Vec::new();
        let mut stop = false;
        match &mut self.page {
            Page::Phone(phone) => {
                for output in phone.on_message(message) {
                    match output {
                        Output::Send(m) => to_send.push(m),
                        Output::StoreToken { code, token } => {
                            store(&format!("pejling.token.{code}"), &token)
                        }
                        Output::StopReconnecting => stop = true,
                    }
                }
            }
            Page::Screen(screen) => {
                stop = screen.model.on_message(message);
            }
            Page::Console(console) => match message {
                ServerMessage::Welcome { .. } => {
                    console.authenticated = true;
                    console.error = None;
                    if let Some(token) = &console.token
                        && let Some(storage) = window().session_storage().ok().flatten()
                    {
                        let _ = storage.set_item("pejling.host", token);
                    }
                    to_send.push(ClientMessage::ListSets);
                    to_send.push(ClientMessage::ListSessions);
                    // After a reconnect or a reload of the page, go back to the session
                    // that was open (kept in this tab's sessionStorage).
                    let open = console
                        .session
                        .as_ref()
                        .map(|session| session.session.id.clone())
                        .or_else(|| stored_session("pejling.session"));
                    if let Some(session_id) = open {
                        to_send.push(ClientMessage::AttachSession { session_id });
                    }
                }
                ServerMessage::Sets { sets } => console.sets = sets,
                ServerMessage::Sessions { sessions } => console.sessions = sessions,
                ServerMessage::SessionState(state) => {
                    if let Some(storage) = window().session_storage().ok().flatten() {
                        let _ = storage.set_item("pejling.session", &state.session.id);
                    }
                    console.session = Some(state);
                }
                ServerMessage::Tally(tally) => console.tally = Some(tally),
                ServerMessage::Error { code, message } => {
                    if code == ErrorCode::BadToken {
                        console.token = None;
                        console.authenticated = false;
                        stop = true;
                        console.error = Some(self.lang.texts().bad_token.to_string());
                    } else if code == ErrorCode::UnknownSession && console.session.is_none() {
                        // The session this tab had open is gone (e.g. another data
                        // file): start from the list instead.
                        if let Some(storage) = window().session_storage().ok().flatten() {
                            let _ = storage.remove_item("pejling.session");
                        }
                    } else {
                        console.error = Some(message);
                    }
                }
                _ => {}
            },
        }
        for message in &to_send {
            self.send(message);
        }
        if stop {
            self.close_socket();
        }
        self.render();
    }

    fn on_input(&mut self, id: &str, value: &str) {
        match id {
            "percent-input" => {
                if let Ok(value) = value.parse::<u32>() {
                    self.set_percent(value);
                }
            }
            "number-input" => self.number = value.trim().parse().ok(),
            _ => {}
        }
    }

    fn set_percent(&mut self, value: u32) {
        let value = value.min(100);
        self.percent = Some(value);
        set_text("percent-value", &format!("{value} %"));
        if let Some(input) = document()
            .get_element_by_id("percent-input")
            .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
        {
            input.set_value(&value.to_string());
            let _ = input.set_attribute("aria-valuetext", &format!("{value} %"));
        }
        if let Some(send) = document().get_element_by_id("percent-send") {
            let _ = send.remove_attribute("disabled");
        }
    }

    fn submit(&mut self, answer: Answer) {
        if let Page::Phone(phone) = &mut self.page
            && let Some(Output::Send(message)) = phone.submit(answer)
        {
            self.send(&message);
        }
        self.render();
    }

    fn on_action(&mut self, action: &str) {
        let (name, arg) = action.split_once(':').unwrap_or((action, ""));
        let index = arg.parse::<u32>().ok();
        match name {
            "lang" => {
                self.lang = self.lang.other();
                store("pejling.lang", self.lang.code());
                let _ = document()
                    .document_element()
                    .map(|root| root.set_attribute("lang", self.lang.code()));
                self.render();
            }
            "join-code" => {
                let code = input_value("code-input");
                if code.trim().is_empty() {
                    return;
                }
                if let Page::Phone(phone) = &mut self.page {
                    let normalized = code.trim().to_uppercase();
                    phone.set_code(&code, stored(&format!("pejling.token.{normalized}")));
                }
                self.connect();
                self.render();
            }
            "answer-choice" => {
                if let Some(option) = index {
                    self.submit(Answer::Choice { option });
                }
            }
            "answer-scale" => {
                if let Some(point) = index {
                    self.submit(Answer::Scale { point });
                }
            }
            "answer-abstain" => {
                if let Some(option) = index {
                    self.submit(Answer::Abstain { option });
                }
            }
            "percent-step" => {
                let step: i64 = arg.parse().unwrap_or(0);
                let current = i64::from(self.percent.unwrap_or(50));
                self.set_percent((current + step).clamp(0, 100) as u32);
            }
            "answer-percent" => {
                if let Some(value) = self.percent {
                    self.submit(Answer::Percent { value });
                }
            }
            "number-step" => {
                let step: i64 = arg.parse().unwrap_or(0);
                if let Some((min, max)) = self.current_number_range() {
                    let current = self.number.unwrap_or((min + max) / 2);
                    let value = (current + step).clamp(min, max);
                    self.number = Some(value);
                    if let Some(input) = document()
                        .get_element_by_id("number-input")
                        .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
                    {
                        input.set_value(&value.to_string());
                    }
                }
            }
            "answer-number" => {
                self.number = input_value("number-input").trim().parse().ok();
                match (self.number, self.current_number_range()) {
                    (Some(value), Some((min, max))) if (min..=max).contains(&value) => {
                        self.submit(Answer::Number { value })
                    }
                    _ => {
                        if let Some(input) = document().get_element_by_id("number-input") {
                            let _ = input.set_attribute("aria-invalid", "true");
                        }
                    }
                }
            }
            "change-answer" => {
                if let Page::Phone(phone) = &mut self.page {
                    phone.change_answer();
                }
                self.render();
            }
            "login" => {
                let token = input_value("token-input");
                if let Page::Console(console) = &mut self.page {
                    console.token = Some(token.trim().to_string()).filter(|t| !t.is_empty());
                    console.error = None;
                }
                if self.wants_connection() {
                    self.connect();
                }
                self.render();
            }
            "create" => {
                let set_id = select_value("set-select");
                let label = input_value("label-input");
                if !set_id.is_empty() {
                    self.send(&ClientMessage::CreateSession {
                        set_id,
                        label: Some(label).filter(|l| !l.trim().is_empty()),
                        linked_sessions: checked_values("input.link-session"),
                    });
                }
            }
            "attach" => self.send(&ClientMessage::AttachSession {
                session_id: arg.to_string(),
            }),
            "home" => {
                if let Page::Console(console) = &mut self.page {
                    console.session = None;
                    console.tally = None;
                }
                if let Some(storage) = window().session_storage().ok().flatten() {
                    let _ = storage.remove_item("pejling.session");
                }
                self.send(&ClientMessage::ListSessions);
                self.render();
            }
            "control" => {
                let action = match arg {
                    "open" => Action::Open,
                    "close" => Action::Close,
                    "reveal" => Action::Reveal,
                    "reveal_all" => Action::RevealAll,
                    "conceal" => Action::Conceal,
                    "next" => Action::Next,
                    "previous" => Action::Previous,
                    "end" => {
                        if !window()
                            .confirm_with_message(self.texts().confirm_end)
                            .unwrap_or(false)
                        {
                            return;
                        }
                        Action::End
                    }
                    _ => return,
                };
                self.send(&ClientMessage::Control { action });
            }
            _ => {}
        }
    }

    fn current_number_range(&self) -> Option<(i64, i64)> {
        let Page::Phone(phone) = &self.page else {
            return None;
        };
        match phone.screen() {
            Screen::Answering { question, .. } => match question.kind {
                QuestionKindView::Number { min, max, .. } => Some((min, max)),
                _ => None,
            },
            _ => None,
        }
    }

    fn render(&mut self) {
        let Some(root) = document().get_element_by_id("app") else {
            return;
        };
        let (content, key) = match &self.page {
            Page::Phone(phone) => self.render_phone(phone),
            Page::Screen(screen) => {
                let view = screen.model.view();
                if screen.drawn.as_ref() == Some(&view) {
                    return;
                }
                let content = self.render_screen(screen, &view);
                if let Page::Screen(screen) = &mut self.page {
                    screen.drawn = Some(view);
                }
                root.replace_children_with_node_1(&content.0);
                fit_screen();
                return;
            }
            Page::Console(console) => (self.render_console(console), String::new()),
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

    fn render_phone(&self, phone: &Phone) -> (E, String) {
        let t = self.texts();
        let mut main = el("main").cls("phone");
        let header = el("header")
            .cls("top")
            .kid(el("span").cls("brand").text("pejling"))
            .kid(self.lang_switch());
        if phone.reconnecting() {
            main = main.kid(
                el("p")
                    .cls("notice")
                    .attr("role", "status")
                    .text(t.reconnecting),
            );
        }
        let heading = |text: &str| {
            el("h1")
                .id("main-heading")
                .attr("tabindex", "-1")
                .text(text)
        };
        let screen = phone.screen();
        let key = match &screen {
            Screen::EnterCode { .. } => "code".to_string(),
            Screen::Connecting => "connecting".to_string(),
            Screen::Lobby => "lobby".to_string(),
            Screen::Answering { question, .. } => format!("answering:{}", question.id),
            Screen::Thanks { question_id } => format!("thanks:{question_id}"),
            Screen::Waiting => "waiting".to_string(),
            Screen::Ended => "ended".to_string(),
        };
        main = match screen {
            Screen::EnterCode { error } => {
                let mut form = el("div")
                    .cls("code-form")
                    .kid(heading(t.enter_code))
                    .kid(el("label").attr("for", "code-input").text(t.code_label))
                    .kid(
                        el("input")
                            .id("code-input")
                            .attr("type", "text")
                            .attr("autocomplete", "off")
                            .attr("autocapitalize", "characters")
                            .attr("spellcheck", "false")
                            .attr("maxlength", "10")
                            .attr("value", phone.code().unwrap_or("")),
                    )
                    .kid(button(t.join, "join-code").cls("primary"));
                if error == Some(PhoneError::UnknownCode) {
                    form = form.kid(
                        el("p")
                            .cls("error")
                            .attr("role", "alert")
                            .text(t.unknown_code),
                    );
                }
                main.kid(form)
            }
            Screen::Connecting => main.kid(heading(t.connecting)),
            Screen::Lobby => main
                .kid(heading(t.lobby))
                .kid(el("p").text(t.anonymous_note)),
            Screen::Answering { question, sending } => {
                main.kid(self.question_form(&question, sending))
            }
            Screen::Thanks { .. } => main
                .kid(heading(t.thanks))
                .kid(el("p").text(t.thanks_note))
                .kid(button(t.change_answer, "change-answer").cls("secondary")),
            Screen::Waiting => main.kid(heading(t.wait_next)),
            Screen::Ended => main.kid(heading(t.ended)),
        };
        (el("div").kid(header).kid(main), key)
    }

    fn question_form(&self, question: &QuestionView, sending: bool) -> E {
        let t = self.texts();
        let mut form = el("div")
            .cls("question")
            .kid(
                el("p")
                    .cls("progress")
                    .text(&question_of(t, question.index, question.count)),
            )
            .kid(
                el("h1")
                    .id("main-heading")
                    .attr("tabindex", "-1")
                    .text(&question.text),
            );
        let group = |label_id: &str| {
            el("div")
                .cls("options")
                .attr("role", "group")
                .attr("aria-labelledby", label_id)
        };
        let disabled = |e: E| e.attr_if(sending, "disabled", "");
        form = match &question.kind {
            QuestionKindView::Choice { options } => form.kid(group("main-heading").kids(
                options.iter().enumerate().map(|(i, label)| {
                    disabled(button(label, &format!("answer-choice:{i}")).cls("option"))
                }),
            )),
            QuestionKindView::Scale { points } => {
                form.kid(group("main-heading").cls("options scale").kids(
                    points.iter().enumerate().map(|(i, label)| {
                        disabled(button(label, &format!("answer-scale:{i}")).cls("option"))
                    }),
                ))
            }
            QuestionKindView::Percent => {
                let shown = self
                    .percent
                    .map(|v| format!("{v} %"))
                    .unwrap_or_else(|| "– %".to_string());
                let mut slider = el("input")
                    .id("percent-input")
                    .attr("type", "range")
                    .attr("min", "0")
                    .attr("max", "100")
                    .attr("step", "1")
                    .attr("aria-label", t.percent_label)
                    .attr("value", &self.percent.unwrap_or(50).to_string());
                if let Some(value) = self.percent {
                    slider = slider.attr("aria-valuetext", &format!("{value} %"));
                }
                form.kid(
                    el("output")
                        .id("percent-value")
                        .cls("big-number")
                        .attr("for", "percent-input")
                        .text(&shown),
                )
                .kid(disabled(slider))
                .kid(
                    el("div").cls("steps").kids([
                        disabled(
                            button("−10", "percent-step:-10")
                                .attr("aria-label", &format!("{} 10", t.less)),
                        ),
                        disabled(
                            button("−1", "percent-step:-1")
                                .attr("aria-label", &format!("{} 1", t.less)),
                        ),
                        disabled(
                            button("+1", "percent-step:1")
                                .attr("aria-label", &format!("{} 1", t.more)),
                        ),
                        disabled(
                            button("+10", "percent-step:10")
                                .attr("aria-label", &format!("{} 10", t.more)),
                        ),
                    ]),
                )
                .kid(
                    button(if sending { t.sending } else { t.send }, "answer-percent")
                        .id("percent-send")
                        .cls("primary")
                        .attr_if(sending || self.percent.is_none(), "disabled", ""),
                )
            }
            QuestionKindView::Number { min, max, unit } => {
                let label = match unit {
                    Some(unit) => format!("{} ({unit}, {min}–{max})", t.number_label),
                    None => format!("{} ({min}–{max})", t.number_label),
                };
                form.kid(el("label").attr("for", "number-input").text(&label))
                    .kid(
                        el("div").cls("number-row").kids([
                            disabled(button("−", "number-step:-1").attr("aria-label", t.less)),
                            disabled(
                                el("input")
                                    .id("number-input")
                                    .cls("big-number")
                                    .attr("type", "number")
                                    .attr("inputmode", "numeric")
                                    .attr("min", &min.to_string())
                                    .attr("max", &max.to_string())
                                    .attr("step", "1")
                                    .attr(
                                        "value",
                                        &self.number.map(|n| n.to_string()).unwrap_or_default(),
                                    ),
                            ),
                            disabled(button("+", "number-step:1").attr("aria-label", t.more)),
                        ]),
                    )
                    .kid(disabled(
                        button(if sending { t.sending } else { t.send }, "answer-number")
                            .cls("primary"),
                    ))
            }
        };
        if !question.abstain.is_empty() {
            form = form.kid(el("div").cls("abstain").kids(
                question.abstain.iter().enumerate().map(|(i, label)| {
                    disabled(button(label, &format!("answer-abstain:{i}")).cls("secondary"))
                }),
            ));
        }
        if sending {
            form = form.kid(el("p").attr("role", "status").text(t.sending));
        }
        form
    }

    /// The current question's result: the comparison chart drawn by the server (the
    /// same plotters code as the exports) for a question that perceives another, else
    /// bars. `chart_token` is the screen's or the host's token.
    fn results(&self, question: &QuestionView, tally: Option<&Tally>, chart_token: &str) -> E {
        let t = self.texts();
        let Some(q) = tally
            .and_then(|t| t.question.as_ref())
            .filter(|q| q.question_id == question.id)
        else {
            return el("p").text(t.no_answers);
        };
        if let Some(reveal) = &q.reveal
            && let Some(key) = &reveal.chart
            && let Some(tally) = tally
        {
            // The answer count in the address fetches a new chart when answers change.
            let src = format!(
                "/chart/{}/{}.svg?token={}&v={}",
                tally.session_id,
                question.id,
                encode_component(chart_token),
                key
            );
            return el("figure").cls("comparison").kid(
                el("img")
                    .cls("comparison-chart")
                    .attr("src", &src)
                    .attr("alt", &format!("{}: {}", t.comparison_alt, question.text)),
            );
        }
        let Some(result) = &q.result else {
            return match q.hidden {
                Some(Hidden::TooFew { needed }) => el("p")
                    .cls("hidden-note too-few")
                    .text(&t.too_few.replace("{n}", &needed.to_string())),
                _ => el("p").cls("hidden-note").text(t.hidden_until_reveal),
            };
        };
        let chart = bars(question, result);
        let mut figure = el("figure").cls("chart");
        if chart.total == 0 {
            figure = figure.kid(el("p").text(t.no_answers));
        }
        let rows = chart.bars.iter().map(|bar| {
            let percent = (bar.share * 100.0).round();
            el("div")
                .cls("bar-row")
                .kid(el("span").cls("bar-label").text(&bar.label))
                .kid(
                    el("span").cls("bar-track").attr("aria-hidden", "true").kid(
                        el("span")
                            .cls("bar-fill")
                            .attr("style", &format!("width:{percent}%")),
                    ),
                )
                .kid(
                    el("span")
                        .cls("bar-value")
                        .text(&format!("{} ({percent} %)", bar.count)),
                )
        });
        figure = figure.kids(rows);
        let mut facts = Vec::new();
        if let Some(mean) = chart.mean {
            facts.push(format!("{}: {}", t.mean, decimal(mean, self.lang)));
        }
        if let Some(median) = chart.median {
            facts.push(format!("{}: {}", t.median, decimal(median, self.lang)));
        }
        let abstained: Vec<String> = chart
            .abstained
            .iter()
            .map(|(label, count)| format!("{label}: {count}"))
            .collect();
        if !abstained.is_empty() {
            facts.push(format!("{} — {}", t.abstained, abstained.join(", ")));
        }
        if !facts.is_empty() {
            figure = figure.kid(el("figcaption").text(&facts.join(" · ")));
        }
        figure
    }

    /// A key on the screen page; returns whether it was used.
    fn on_screen_key(&mut self, key: &str) -> bool {
        let Page::Screen(screen) = &mut self.page else {
            return false;
        };
        match screen.model.key(key) {
            KeyOutcome::Send(message) => {
                self.send(&message);
                true
            }
            KeyOutcome::Redraw => {
                self.render();
                true
            }
            KeyOutcome::Ignore => false,
        }
    }

    fn render_screen(&self, screen: &ScreenState, view: &ScreenView) -> E {
        let join_url = format!("{}/j/{}", public_url(), screen.code);
        let lang = screen.model.lang();
        let t = lang.texts();
        let main = el("main").cls("screen");
        let join_block = |big: bool, participants: Option<&str>| {
            let mut text = el("div")
                .cls("join-text")
                .kid(el("p").text(t.join_at))
                .kid(el("p").cls("url").id("join-url").text(&join_url))
                .kid(
                    el("p")
                        .cls("code")
                        .text(&format!("{} ", t.code_word))
                        .kid(el("strong").id("join-code").text(&screen.code)),
                );
            if let Some(participants) = participants {
                text = text.kid(
                    el("p")
                        .cls("count")
                        .id("participant-count")
                        .text(participants),
                );
            }
            el("div")
                .cls(if big { "join big" } else { "join small" })
                .kid(
                    el("img")
                        .cls("qr")
                        .attr("src", &format!("/qr/{}.svg", screen.code))
                        .attr("alt", &format!("QR: {join_url}")),
                )
                .kid(text)
        };
        match view {
            ScreenView::Blank(text) => main
                .cls("screen blank")
                .kid(el("p").cls("blank-note").text(text)),
            ScreenView::Connecting(text) => main.kid(el("p").cls("lead").text(text)),
            ScreenView::Error(error) => {
                main.kid(el("p").cls("error").attr("role", "alert").text(error))
            }
            ScreenView::Ended(text) => main.kid(el("h1").id("screen-question").text(text)),
            ScreenView::Lobby {
                title,
                lead,
                participants,
            } => main
                .kid(el("h1").id("screen-question").text(title))
                .kid(el("p").cls("lead").text(lead))
                .kid(join_block(true, Some(participants))),
            ScreenView::Question {
                head,
                result,
                hint,
                state,
            } => {
                let head_el = el("header")
                    .cls("screen-head")
                    .kid(el("p").cls("progress").text(&head.progress))
                    .kid(el("h1").id("screen-question").text(&head.text))
                    .kid(
                        el("p")
                            .cls("answered")
                            .id("answered-count")
                            .attr("aria-live", "polite")
                            .text(&head.answered),
                    );
                let mut foot = el("footer").cls("screen-foot").kid(join_block(false, None));
                if let Some(hint) = hint {
                    foot = foot.kid(el("p").cls("key-hint").id("key-hint").text(hint));
                }
                main.attr("data-state", state)
                    .kid(head_el)
                    .kid(self.screen_result(result, &screen.token, lang))
                    .kid(foot)
            }
        }
    }

    fn key_figures(figures: &[pejling_wire::KeyFigure]) -> E {
        el("div")
            .cls("figures")
            .id("key-figures")
            .kids(figures.iter().map(|figure| {
                let role = match figure.role {
                    pejling_wire::FigureRole::Guesses => "guesses",
                    pejling_wire::FigureRole::Actual => "actual",
                    pejling_wire::FigureRole::National => "national",
                };
                let mut item = el("div")
                    .cls(&format!("figure {role}"))
                    .kid(el("p").cls("figure-value").text(&figure.value))
                    .kid(el("p").cls("figure-label").text(&figure.label));
                if let Some(detail) = &figure.detail {
                    item = item.kid(el("p").cls("figure-detail").text(detail));
                }
                if let Some(source) = &figure.source {
                    item = item.kid(el("p").cls("figure-source").text(source));
                }
                item
            }))
    }

    fn screen_result(&self, result: &ResultView, token: &str, lang: Lang) -> E {
        let t = lang.texts();
        let section = el("section").cls("screen-result").id("screen-result");
        match result {
            ResultView::Note(note) => section.kid(el("p").cls("hidden-note").text(note)),
            ResultView::Reveal {
                figures,
                sentence,
                chart,
            } => {
                let mut section = section
                    .cls("screen-result reveal")
                    .kid(Self::key_figures(figures));
                if let Some(sentence) = sentence {
                    section = section.kid(el("p").cls("sentence").id("verdict").text(sentence));
                }
                if let Some(chart) = chart {
                    let src = format!("{chart}&token={}", encode_component(token));
                    section = section.kid(
                        el("div").cls("chart-box").kid(
                            el("img")
                                .cls("comparison-chart")
                                .attr("src", &src)
                                .attr("alt", t.comparison_alt),
                        ),
                    );
                }
                section
            }
            ResultView::Bars {
                bars,
                columns,
                mean,
                national,
            } => {
                let mut section = section;
                if !national.is_empty() {
                    section = section.kid(Self::key_figures(national));
                }
                let max = bars
                    .bars
                    .iter()
                    .map(|b| b.share)
                    .fold(0.0f64, f64::max)
                    .max(0.01);
                let rows = bars.bars.iter().map(|bar| {
                    let percent = (bar.share * 100.0).round();
                    let size = bar.share / max * 100.0;
                    el("div")
                        .cls("bar-row")
                        .kid(el("span").cls("bar-label").text(&bar.label))
                        .kid(el("span").cls("bar-track").attr("aria-hidden", "true").kid(
                            el("span").cls("bar-fill").attr(
                                "style",
                                &if *columns {
                                    format!("height:{size:.1}%")
                                } else {
                                    format!("width:{percent}%")
                                },
                            ),
                        ))
                        .kid(el("span").cls("bar-value").text(&if *columns {
                            bar.count.to_string()
                        } else {
                            format!("{percent} %")
                        }))
                });
                let mut figure = el("figure")
                    .cls(if *columns {
                        "chart columns"
                    } else {
                        "chart rows"
                    })
                    .kids(rows);
                let mut facts: Vec<String> = mean.iter().cloned().collect();
                let abstained: Vec<String> = bars
                    .abstained
                    .iter()
                    .filter(|(_, count)| *count > 0)
                    .map(|(label, count)| format!("{label}: {count}"))
                    .collect();
                if !abstained.is_empty() {
                    facts.push(format!("{} — {}", t.abstained, abstained.join(", ")));
                }
                if !facts.is_empty() {
                    figure = figure.kid(el("figcaption").text(&facts.join(" · ")));
                }
                section.kid(figure)
            }
        }
    }

    /// Links to the session's report and figures (the same files as `pejling export`).
    fn downloads(&self, session_id: &str, token: &str) -> E {
        let t = self.texts();
        let link = |file: &str, text: &str, id: &str| {
            el("a")
                .id(id)
                .attr(
                    "href",
                    &format!(
                        "/export/{session_id}/{file}?token={}",
                        encode_component(token)
                    ),
                )
                .attr("download", "")
                .text(text)
        };
        el("p")
            .cls("downloads")
            .text(&format!("{}: ", t.download))
            .kid(link("report.html", t.report_html, "download-report"))
            .text(" · ")
            .kid(link("results.csv", t.results_csv, "download-csv"))
    }

    fn render_console(&self, console: &ConsoleState) -> E {
        let t = self.texts();
        let header = el("header")
            .cls("top")
            .kid(el("span").cls("brand").text("pejling"))
            .kid(self.lang_switch());
        let mut main = el("main").cls("console");
        if let Some(error) = &console.error {
            main = main.kid(el("p").cls("error").attr("role", "alert").text(error));
        }
        if !console.authenticated {
            if console.token.is_some() {
                return el("div")
                    .kid(header)
                    .kid(main.kid(el("p").text(t.connecting)));
            }
            return el("div").kid(header).kid(
                main.kid(el("h1").text("pejling"))
                    .kid(
                        el("label")
                            .attr("for", "token-input")
                            .text(t.host_token_label),
                    )
                    .kid(
                        el("input")
                            .id("token-input")
                            .attr("type", "password")
                            .attr("autocomplete", "off"),
                    )
                    .kid(button(t.log_in, "login").cls("primary")),
            );
        }
        let Some(state) = &console.session else {
            let sets = console.sets.iter().map(|set| {
                let audience = match set.audience {
                    pejling_wire::Audience::Pupils => "elever/pupils",
                    pejling_wire::Audience::Parents => "forældre/parents",
                };
                el("option").attr("value", &set.id).text(&format!(
                    "{} — {} ({}, {})",
                    set.title,
                    set.grades.join(", "),
                    audience,
                    set.questions
                ))
            });
            let sessions = console.sessions.iter().map(|session| {
                el("li")
                    .kid(el("span").text(&format!(
                        "{} · {} · {} {} · {}",
                        session.label.as_deref().unwrap_or("—"),
                        session.set_title,
                        session.participants,
                        t.participants,
                        phase_text(t, session.phase)
                    )))
                    .kid(button(t.open_session, &format!("attach:{}", session.id)).cls("secondary"))
            });
            let mut list = el("ul").cls("sessions").kids(sessions);
            if console.sessions.is_empty() {
                list = list.kid(el("li").text(t.no_sessions));
            }
            // Parent evenings: ended sessions of the pupils' sets a parents' set asks
            // about can be linked; the server checks that they fit the chosen set.
            let cited: Vec<&str> = console
                .sets
                .iter()
                .flat_map(|set| set.cites.iter().map(String::as_str))
                .collect();
            let linkable: Vec<&SessionSummary> = console
                .sessions
                .iter()
                .filter(|s| s.phase == Phase::Ended && cited.contains(&s.set_id.as_str()))
                .collect();
            let links = (!linkable.is_empty()).then(|| {
                el("fieldset")
                    .cls("links")
                    .kid(el("legend").text(t.link_sessions))
                    .kid(el("p").cls("hint").text(t.link_hint))
                    .kids(linkable.into_iter().map(|session| {
                        let id = format!("link-{}", session.id);
                        el("div")
                            .cls("check")
                            .kid(
                                el("input")
                                    .id(&id)
                                    .cls("link-session")
                                    .attr("type", "checkbox")
                                    .attr("value", &session.id),
                            )
                            .kid(el("label").attr("for", &id).text(&format!(
                                "{} · {} · {} {}",
                                session.label.as_deref().unwrap_or(&session.code),
                                session.set_title,
                                session.participants,
                                t.participants
                            )))
                    }))
            });
            return el("div").kid(header).kid(
                main.kid(el("h1").text(t.start_session))
                    .kid(el("label").attr("for", "set-select").text(t.pick_set))
                    .kid(el("select").id("set-select").kids(sets))
                    .kid(el("label").attr("for", "label-input").text(t.label_label))
                    .kid(
                        el("input")
                            .id("label-input")
                            .attr("type", "text")
                            .attr("maxlength", "120")
                            .attr("placeholder", t.label_placeholder),
                    )
                    .kids(links)
                    .kid(
                        button(t.start_session, "create")
                            .cls("primary")
                            .id("create-session"),
                    )
                    .kid(el("h2").text(t.earlier_sessions))
                    .kid(list),
            );
        };
        let info = &state.session;
        let tally = console
            .tally
            .as_ref()
            .filter(|tally| tally.session_id == info.id);
        let (participants, connected, clickers) =
            tally.map_or((0, 0, 0), |t| (t.participants, t.connected, t.clickers));
        let bridges = tally.map(|t| t.bridges.as_slice()).unwrap_or_default();
        // Opened from here, the screen holds the host's right and can run the session
        // from the projector window (arrow keys, a presentation remote). The read-only
        // link is for a screen on another computer.
        let screen_href = format!(
            "/screen/{}#token={}",
            info.code,
            encode_component(console.token.as_deref().unwrap_or_default())
        );
        let readonly_href = format!(
            "/screen/{}#token={}",
            info.code,
            info.screen_token.as_deref().unwrap_or_default()
        );
        let phase = state.phase;
        let current_status = state
            .current
            .as_ref()
            .and_then(|c| state.questions.get(c.index as usize))
            .map(|q| q.status);
        let is_last = state
            .current
            .as_ref()
            .is_some_and(|c| c.index + 1 >= c.count);
        let ended = phase == Phase::Ended;
        let control = |label: &str, action: &str, enabled: bool| {
            button(label, &format!("control:{action}"))
                .id(&format!("control-{action}"))
                .attr_if(!enabled, "disabled", "")
        };
        // The main button always names the natural next step (from the engine); the
        // rest are there for going off the path.
        let main_action = state.next_action.map(|action| {
            let name = match action {
                Action::Open => "open",
                Action::Close => "close",
                Action::Reveal => "reveal",
                Action::RevealAll => "reveal_all",
                Action::Conceal => "conceal",
                Action::Next => "next",
                Action::Previous => "previous",
                Action::End => "end",
            };
            button(&action_label(t, state), &format!("control:{name}"))
                .id("control-main")
                .cls("primary main-step")
        });
        let reveal_step = state.reveal_step;
        let reveal_steps = state.reveal_steps;
        let controls = el("div").cls("controls").kids(main_action).kids([
            control(
                t.action_open,
                "open",
                !ended && current_status != Some(QuestionStatus::Open),
            ),
            control(
                t.action_close,
                "close",
                current_status == Some(QuestionStatus::Open),
            ),
            control(
                t.action_reveal,
                "reveal",
                state.current.is_some() && !ended && reveal_step < reveal_steps,
            ),
            control(
                t.action_reveal_all,
                "reveal_all",
                state.current.is_some() && !ended && reveal_step < reveal_steps,
            ),
            control(t.action_conceal, "conceal", !ended && reveal_step > 0),
            control(
                t.action_previous,
                "previous",
                !ended && state.current.as_ref().is_some_and(|c| c.index > 0),
            ),
            control(t.action_next, "next", !ended && !is_last),
            control(t.action_end, "end", !ended).cls("danger"),
        ]);
        let mut body = el("section")
            .kid(el("h1").text(&format!(
                "{} — {}",
                info.label.as_deref().unwrap_or(&info.set_title),
                info.set_title
            )))
            .kid(
                el("p")
                    .cls("code-line")
                    .text(&format!("{} ", t.code_word))
                    .kid(el("strong").id("session-code").text(&info.code))
                    .text(&format!(" · {}/j/{}", public_url(), info.code)),
            )
            .kid(
                el("p")
                    .id("console-counts")
                    .attr("aria-live", "polite")
                    .text(&format!(
                        "{participants} {} · {connected} {}",
                        t.participants, t.connected
                    ))
                    .text(&if clickers > 0 {
                        format!(
                            " · {} {} / {clickers} {}",
                            participants - clickers,
                            t.with_phones,
                            t.with_clickers
                        )
                    } else {
                        String::new()
                    }),
            )
            .kids(bridges.iter().map(|bridge| {
                el("p").cls("bridge").text(&format!(
                    "{}: {} · {} {} · {} {}",
                    t.clicker_receiver,
                    bridge.name,
                    bridge.devices,
                    t.devices,
                    bridge.bad_lines,
                    t.bad_lines
                ))
            }))
            .kid(
                el("p")
                    .cls("screen-links")
                    .kid(
                        el("a")
                            .attr("href", &screen_href)
                            .attr("target", "_blank")
                            .attr("rel", "noopener")
                            .id("open-screen")
                            .text(t.open_screen),
                    )
                    .text(" · ")
                    .kid(
                        el("a")
                            .attr("href", &readonly_href)
                            .attr("target", "_blank")
                            .attr("rel", "noopener")
                            .id("open-screen-readonly")
                            .text(t.open_screen_readonly),
                    ),
            )
            .kid(self.downloads(&info.id, console.token.as_deref().unwrap_or_default()))
            .kid(controls);
        if let Some(note) = &info.facilitator_note {
            body = body.kid(
                el("details")
                    .cls("facilitator-note")
                    .kid(el("summary").text(t.facilitator_note))
                    .kids(
                        note.split("\n\n")
                            .map(|paragraph| el("p").text(&paragraph.replace('\n', " "))),
                    ),
            );
        }
        body = match &state.current {
            Some(question) if !ended || phase == Phase::Ended => {
                let answered = tally
                    .and_then(|t| t.question.as_ref())
                    .filter(|q| q.question_id == question.id)
                    .map_or(0, |q| q.answered);
                body.kid(el("p").cls("progress").text(&format!(
                    "{} · {}",
                    question_of(t, question.index, question.count),
                    current_status.map_or("", |s| status_text(t, s))
                )))
                .kid(el("h2").id("current-question").text(&question.text))
                .kid(
                    el("p")
                        .id("current-answered")
                        .text(&format!("{answered} {}", t.answered)),
                )
                .kid(self.results(
                    question,
                    tally,
                    console.token.as_deref().unwrap_or_default(),
                ))
            }
            _ => body.kid(el("p").text(phase_text(t, phase))),
        };
        let questions = state.questions.iter().enumerate().map(|(i, q)| {
            let current = state
                .current
                .as_ref()
                .is_some_and(|c| c.index as usize == i);
            el("li")
                .attr_if(current, "aria-current", "step")
                .text(&format!(
                    "{}. {} — {}",
                    i + 1,
                    q.text,
                    status_text(t, q.status)
                ))
        });
        body = body
            .kid(el("h2").text(t.questions_heading))
            .kid(el("ol").cls("question-list").kids(questions))
            .kid(button(t.back_to_sets, "home").cls("secondary"));
        el("div").kid(header).kid(main.kid(body))
    }
}

/// Shrinks the screen's texts until the page fits the viewport: a long question or a long
/// national-figure description must not push the result off a projector that cannot
/// scroll. Each text has a floor (the sizes readable at the back of the room, smaller for
/// the lines meant for reading up close); the chart takes what room is left, and is left
/// out when that is too little to read.
fn fit_screen() {
    let find = |css: &str| {
        document()
            .query_selector(css)
            .ok()
            .flatten()
            .and_then(|m| m.dyn_into::<HtmlElement>().ok())
    };
    let Some(main) = find("main.screen") else {
        return;
    };
    let result = find(".screen-result");
    let overflowing = || {
        main.scroll_height() > main.client_height() + 1
            || result
                .as_ref()
                .is_some_and(|r| r.scroll_height() > r.client_height() + 1)
    };
    let font_size = |element: &HtmlElement| {
        window()
            .get_computed_style(element)
            .ok()
            .flatten()
            .and_then(|style| style.get_property_value("font-size").ok())
            .and_then(|v| v.trim_end_matches("px").parse::<f64>().ok())
    };
    let floors = [
        ("#screen-question", 28.0),
        (".figure-detail", 16.0),
        ("#verdict", 28.0),
        (".figure-source", 14.0),
        (".figure-label", 28.0),
        (".bar-label", 28.0),
        (".bar-value", 28.0),
        (".figure-value", 64.0),
    ];
    for (selector, floor) in floors {
        let Ok(elements) = document().query_selector_all(selector) else {
            continue;
        };
        for _ in 0..40 {
            if !overflowing() {
                break;
            }
            let mut shrunk = false;
            for i in 0..elements.length() {
                let Some(element) = elements
                    .item(i)
                    .and_then(|n| n.dyn_into::<HtmlElement>().ok())
                else {
                    continue;
                };
                if let Some(size) = font_size(&element)
                    && size > floor
                {
                    let smaller = (size * 0.92).max(floor);
                    let _ = element
                        .style()
                        .set_property("font-size", &format!("{smaller}px"));
                    shrunk = true;
                }
            }
            if !shrunk {
                break;
            }
        }
    }
    if let Some(chart) = find(".chart-box")
        && chart.client_height() < 120
    {
        let _ = chart.style().set_property("display", "none");
    }
}

fn status_text(t: &Texts, status: QuestionStatus) -> &'static str {
    match status {
        QuestionStatus::Pending => t.status_pending,
        QuestionStatus::Open => t.status_open,
        QuestionStatus::Closed => t.status_closed,
        QuestionStatus::Revealed => t.status_revealed,
    }
}

fn phase_text(t: &Texts, phase: Phase) -> &'static str {
    match phase {
        Phase::Lobby => t.phase_lobby,
        Phase::Open => t.status_open,
        Phase::Closed => t.status_closed,
        Phase::Revealed => t.status_revealed,
        Phase::Ended => t.phase_ended,
    }
}

/// Percent-encodes a query value (a user-chosen host token may hold any character).
fn encode_component(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}
