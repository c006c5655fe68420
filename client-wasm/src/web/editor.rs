//! The question-set editor's page in the console (issue 16): draws [`EditorModel`] and
//! talks to the server's `/api/sets` routes with the host token. Typing in a field changes
//! the draft at once and asks the server to check it shortly after (the checker of
//! `pejling check`); the problems are then written beside their fields without redrawing
//! the page, so the caret stays where it was. Adding, moving or removing redraws.

use pejling_wire::{
    Audience, CheckedDraft, EditorList, EditorSet, Existing, FieldProblem, KindName, Language,
    OpenedSet, QuestionDraft, ReferenceEntry, SetDraft,
};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Element, HtmlInputElement};

use super::{
    App, E, Page, button, document, el, encode_component, focus_element, save_file, window,
    with_app,
};
use crate::editor::{self, Edit, EditorModel, EditorTexts, OpenSet};

/// How long after the last keystroke a draft is checked.
const CHECK_DELAY_MS: i32 = 300;

thread_local! {
    /// The newest check asked for; an older answer is dropped.
    static CHECK_SEQ: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// A request to the console's HTTP routes (the editor's, the overview's) with the host
/// token: the status and the body's text.
pub(super) async fn api(
    method: &str,
    path: &str,
    token: &str,
    body: Option<String>,
) -> Result<(u16, String), ()> {
    request_body(
        method,
        path,
        token,
        body.map(|body| JsValue::from_str(&body)),
    )
    .await
}

/// A request with a body of any kind (JSON text, or a file's bytes).
pub(super) async fn request_body(
    method: &str,
    path: &str,
    token: &str,
    body: Option<JsValue>,
) -> Result<(u16, String), ()> {
    request_with_header(method, path, token, body, None)
        .await
        .map(|(status, text, _)| (status, text))
}

/// A request whose answer is a download: the status, the body's text and its
/// `Content-Disposition` (the file name the server gives it).
pub(super) async fn api_download(
    method: &str,
    path: &str,
    token: &str,
    body: Option<String>,
) -> Result<(u16, String, Option<String>), ()> {
    request_with_header(
        method,
        path,
        token,
        body.map(|body| JsValue::from_str(&body)),
        Some("Content-Disposition"),
    )
    .await
}

/// A request with the host token; `header`: an answer's header to read too.
async fn request_with_header(
    method: &str,
    path: &str,
    token: &str,
    body: Option<JsValue>,
    header: Option<&str>,
) -> Result<(u16, String, Option<String>), ()> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().map_err(|_| ())?;
    headers
        .set("Authorization", &format!("Bearer {token}"))
        .map_err(|_| ())?;
    if let Some(body) = body {
        // Text is JSON; bytes are a file, sent as they are.
        let content_type = if body.is_string() {
            "application/json"
        } else {
            "application/octet-stream"
        };
        headers.set("Content-Type", content_type).map_err(|_| ())?;
        init.set_body(&body);
    }
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(path, &init).map_err(|_| ())?;
    let response: web_sys::Response = JsFuture::from(window().fetch_with_request(&request))
        .await
        .map_err(|_| ())?
        .dyn_into()
        .map_err(|_| ())?;
    let text = JsFuture::from(response.text().map_err(|_| ())?)
        .await
        .map_err(|_| ())?
        .as_string()
        .unwrap_or_default();
    let header = header.and_then(|name| response.headers().get(name).ok().flatten());
    Ok((response.status(), text, header))
}

/// The host token the console logged in with.
pub(super) fn host_token(app: &App) -> String {
    match &app.page {
        Page::Console(console) => console.token.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

/// Runs `api` and hands the parsed answer (or `None`) to `then` on the app. Called with
/// the app borrowed; `then` runs later, when the answer is there.
fn request<T: serde::de::DeserializeOwned + 'static>(
    app: &App,
    method: &'static str,
    path: String,
    body: Option<String>,
    then: impl FnOnce(&mut App, Option<T>) + 'static,
) {
    let token = host_token(app);
    wasm_bindgen_futures::spawn_local(async move {
        let answer = api(method, &path, &token, body)
            .await
            .ok()
            .and_then(|(status, text)| {
                // A set that is not TOML comes back as 422 with its problems.
                (status == 200 || status == 422)
                    .then(|| serde_json::from_str::<T>(&text).ok())
                    .flatten()
            });
        with_app(|app| then(app, answer));
    });
}

impl App {
    fn editor_mut(&mut self) -> Option<&mut EditorModel> {
        match &mut self.page {
            Page::Console(console) => console.editor.as_mut(),
            _ => None,
        }
    }

    /// Whether a set with unsaved changes is open in the editor.
    pub(super) fn editor_unsaved(&self) -> bool {
        matches!(&self.page, Page::Console(console)
            if console.editor.as_ref().and_then(|e| e.open.as_ref()).is_some_and(|open| open.dirty))
    }

    /// Whether a dropped file is an import: the editor's list is showing.
    pub(super) fn editor_takes_files(&self) -> bool {
        matches!(&self.page, Page::Console(console)
            if console.editor.as_ref().is_some_and(|e| e.open.is_none()))
    }

    fn editor_texts(&self) -> &'static EditorTexts {
        EditorTexts::of(self.lang)
    }

    /// The editor's buttons (`editor:…`); returns whether `name` was the editor's.
    pub(super) fn editor_on_action(&mut self, name: &str, arg: &str) -> bool {
        if name != "editor" {
            return false;
        }
        let (verb, rest) = arg.split_once(':').unwrap_or((arg, ""));
        match verb {
            "open" => {
                if let Page::Console(console) = &mut self.page {
                    console.editor = Some(EditorModel::default());
                }
                self.editor_load_list();
                request(
                    self,
                    "GET",
                    "/api/references".into(),
                    None,
                    |app, refs: Option<Vec<ReferenceEntry>>| {
                        if let Some(editor) = app.editor_mut() {
                            editor.references = refs.unwrap_or_default();
                        }
                    },
                );
                self.render();
                focus_element("editor-list-title");
            }
            "back" => {
                if let Page::Console(console) = &mut self.page {
                    console.editor = None;
                }
                self.send(&pejling_wire::ClientMessage::ListSets);
                self.render();
            }
            "new" => {
                let lang = self.lang;
                if let Some(editor) = self.editor_mut() {
                    editor.open = Some(OpenSet::new_set(lang));
                }
                self.editor_check_now();
                self.render();
                focus_element(&field_id("title"));
            }
            "copy" => {
                let lang = self.lang;
                request(
                    self,
                    "GET",
                    format!("/api/sets/builtin/{}", encode_component(rest)),
                    None,
                    move |app, opened: Option<OpenedSet>| {
                        let taken = app.editor_taken_ids();
                        app.editor_opened(opened.map(|o| OpenSet::copy_of(o, &taken, lang)));
                    },
                );
            }
            "edit" => {
                let file = rest.to_string();
                request(
                    self,
                    "GET",
                    format!("/api/sets/own/{}", encode_component(rest)),
                    None,
                    move |app, opened: Option<OpenedSet>| {
                        app.editor_opened(opened.map(|o| OpenSet::from_opened(o, Some(file))));
                    },
                );
            }
            "close" => {
                let t = self.editor_texts();
                let dirty = self
                    .editor_mut()
                    .and_then(|e| e.open.as_ref())
                    .is_some_and(|open| open.dirty);
                if dirty
                    && !window()
                        .confirm_with_message(t.confirm_discard)
                        .unwrap_or(false)
                {
                    return true;
                }
                if let Some(editor) = self.editor_mut() {
                    editor.open = None;
                }
                self.editor_load_list();
                self.render();
                focus_element("editor-list-title");
            }
            "save" => self.editor_save(),
            "replace" => {
                if let Some(open) = self.editor_mut().and_then(|e| e.open.as_mut()) {
                    open.replace = true;
                }
                self.editor_save();
            }
            "keep-both" => {
                let lang = self.lang;
                let taken = self.editor_taken_ids();
                if let Some(open) = self.editor_mut().and_then(|e| e.open.as_mut()) {
                    open.keep_both(&taken, lang);
                }
                self.editor_check_now();
                self.render();
            }
            "focus" => focus_field(rest),
            "download" => {
                let (path, name) = match rest.split_once(':') {
                    Some(("own", file)) => (
                        format!("/api/sets/own/{}/file", encode_component(file)),
                        file.to_string(),
                    ),
                    Some(("builtin", id)) => (
                        format!("/api/sets/builtin/{}/file", encode_component(id)),
                        format!("{id}.toml"),
                    ),
                    _ => return true,
                };
                download(host_token(self), path, name);
            }
            "add-question" => {
                let kind = document()
                    .get_element_by_id("add-question")
                    .and_then(|e| e.dyn_into::<web_sys::HtmlSelectElement>().ok())
                    .and_then(|select| KindName::from_code(&select.value()));
                if let Some(kind) = kind {
                    self.editor_edit(Edit::AddQuestion(kind));
                }
            }
            "delete" => {
                let title = self
                    .editor_mut()
                    .and_then(|e| e.list.as_ref())
                    .and_then(|list| list.sets.iter().find(|s| s.file.as_deref() == Some(rest)))
                    .map(|s| s.title.clone())
                    .unwrap_or_else(|| rest.to_string());
                let question = self
                    .editor_texts()
                    .confirm_delete
                    .replace("{title}", &title);
                if !window().confirm_with_message(&question).unwrap_or(false) {
                    return true;
                }
                let token = host_token(self);
                let path = format!("/api/sets/own/{}", encode_component(rest));
                wasm_bindgen_futures::spawn_local(async move {
                    let deleted = api("DELETE", &path, &token, None).await;
                    with_app(|app| {
                        let failed = app.editor_texts().request_failed;
                        if let Some(editor) = app.editor_mut() {
                            editor.error =
                                (!matches!(deleted, Ok((204, _)))).then(|| failed.to_string());
                        }
                        app.editor_load_list();
                        app.send(&pejling_wire::ClientMessage::ListSets);
                    });
                });
            }
            "do" => {
                let Some(edit) = parse_edit(rest) else {
                    return true;
                };
                if let Edit::Remove(i) = edit {
                    let text = match &self.page {
                        Page::Console(console) => console
                            .editor
                            .as_ref()
                            .and_then(|e| e.open.as_ref())
                            .and_then(|open| open.draft.questions.get(i))
                            .map(|q| editor::short(&q.text))
                            .unwrap_or_default(),
                        _ => String::new(),
                    };
                    let question = self
                        .editor_texts()
                        .confirm_remove
                        .replace("{n}", &(i + 1).to_string())
                        .replace("{text}", &text);
                    if !window().confirm_with_message(&question).unwrap_or(false) {
                        return true;
                    }
                }
                self.editor_edit(edit);
            }
            _ => {}
        }
        true
    }

    /// A structural edit: applied, redrawn, checked, and the keyboard put where the
    /// edit leaves the person (the moved question's button, the new field).
    fn editor_edit(&mut self, edit: Edit) {
        let Some(open) = self.editor_mut().and_then(|e| e.open.as_mut()) else {
            return;
        };
        let n = open.draft.questions.len();
        let focus = match &edit {
            Edit::Move(i, delta) => {
                let j = (*i as i64 + i64::from(*delta)).max(0) as usize;
                let first = if *delta < 0 { "up" } else { "down" };
                vec![
                    format!("move-{first}-{j}"),
                    format!("move-up-{j}"),
                    format!("move-down-{j}"),
                ]
            }
            Edit::Remove(i) => vec![format!("question-{i}-title"), "add-pair".to_string()],
            Edit::AddPair | Edit::AddQuestion(_) => vec![field_id(&format!("questions.{n}.text"))],
            Edit::AddOption(i) => {
                let j = open.draft.questions.get(*i).map_or(0, |q| q.options.len());
                vec![field_id(&format!("questions.{i}.options.{j}"))]
            }
            Edit::AddAbstain(i) => {
                let j = open.draft.questions.get(*i).map_or(0, |q| q.abstain.len());
                vec![field_id(&format!("questions.{i}.abstain.{j}"))]
            }
            Edit::AddGrade => vec![field_id(&format!("grades.{}", open.draft.grades.len()))],
            Edit::RemoveOption(i, _) => vec![field_id(&format!("questions.{i}.options"))],
            Edit::RemoveAbstain(i, _) => vec![field_id(&format!("questions.{i}.abstain"))],
            Edit::RemoveGrade(_) => vec![field_id("grades")],
            Edit::Uncite(i, _) | Edit::Cite(i, _) => vec![format!("cite-{i}")],
            Edit::SetPartner(i, _) => vec![field_id(&format!("questions.{i}.perceives"))],
            Edit::SetPartnerOption(i, option, _) => {
                vec![format!("f-questions-{i}-perceives-options-{option}")]
            }
            Edit::SetSensitive(i, _) => vec![format!("f-questions-{i}-sensitive")],
        };
        if open.apply(edit) {
            open.dirty = true;
            open.saved = None;
            self.render();
            let _ = focus.iter().any(|id| focus_element(id));
            self.editor_check_soon();
        }
    }

    /// A field typed in (`data-field`): the draft changes, the page stays.
    pub(super) fn editor_on_field(&mut self, path: &str, value: &str) {
        let taken = self.editor_taken_ids();
        let Some(open) = self.editor_mut().and_then(|e| e.open.as_mut()) else {
            return;
        };
        let before = open.draft.clone();
        if !open.set_field(path, value, &taken) {
            return;
        }
        open.dirty = true;
        open.saved = None;
        // A changed kind, audience or language changes which fields there are: redraw.
        // A suggested wording that followed the text being typed is written into its
        // field in place, so the caret in the field being typed in stays.
        let followed: Vec<(usize, String)> = open
            .draft
            .questions
            .iter()
            .zip(&before.questions)
            .enumerate()
            .filter(|(i, (now, was))| now.text != was.text && path != format!("questions.{i}.text"))
            .map(|(i, (now, _))| (i, now.text.clone()))
            .collect();
        if path.ends_with(".kind") || path == "audience" || path == "language" {
            self.render();
        } else {
            for (i, text) in followed {
                if let Some(area) = document()
                    .get_element_by_id(&field_id(&format!("questions.{i}.text")))
                    .and_then(|e| e.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
                {
                    area.set_value(&text);
                }
            }
            // Fields the edit changed elsewhere: a new set's id that follows its title,
            // and the partner lists that name a question by its text.
            if let Some(open) = self.editor_mut().and_then(|e| e.open.as_ref()) {
                if path == "title" && open.draft.id != before.id {
                    set_input_value(&field_id("id"), &open.draft.id);
                }
                for (i, question) in open.draft.questions.iter().enumerate() {
                    let unchanged = before
                        .questions
                        .get(i)
                        .is_some_and(|was| was.text == question.text && was.id == question.id);
                    if !unchanged {
                        relabel_partner_options(i, question);
                    }
                }
            }
            self.editor_show_problems();
        }
        self.editor_check_soon();
    }

    /// A choice made in a list (`data-change`): a partner, a figure, a tick.
    pub(super) fn editor_on_change(&mut self, name: &str, value: &str, checked: bool) {
        let edit = match name.split(':').collect::<Vec<_>>().as_slice() {
            ["partner", i] => {
                let Ok(i) = i.parse() else { return };
                let partner = value
                    .split_once('/')
                    .map(|(set, question)| (set.to_string(), question.to_string()));
                Edit::SetPartner(i, partner)
            }
            ["partner-option", i, option] => {
                let (Ok(i), Ok(option)) = (i.parse(), option.parse()) else {
                    return;
                };
                Edit::SetPartnerOption(i, option, checked)
            }
            ["sensitive", i] => {
                let Ok(i) = i.parse() else { return };
                Edit::SetSensitive(i, checked)
            }
            ["cite", i] => {
                let Ok(i) = i.parse() else { return };
                if value.is_empty() {
                    return;
                }
                Edit::Cite(i, value.to_string())
            }
            ["import"] => {
                self.editor_import_from_input();
                return;
            }
            _ => return,
        };
        self.editor_edit(edit);
    }

    fn editor_taken_ids(&self) -> Vec<String> {
        match &self.page {
            Page::Console(console) => console
                .editor
                .as_ref()
                .and_then(|e| e.list.as_ref())
                .map(|list| list.sets.iter().map(|s| s.id.clone()).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    fn editor_load_list(&mut self) {
        request(
            self,
            "GET",
            "/api/sets".into(),
            None,
            |app, list: Option<EditorList>| {
                let failed = app.editor_texts().request_failed;
                let pupils: Vec<EditorSet> = list
                    .as_ref()
                    .map(|l| {
                        l.sets
                            .iter()
                            .filter(|s| s.audience == Audience::Pupils && s.problems == 0)
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                let Some(editor) = app.editor_mut() else {
                    return;
                };
                // The same list again (after closing a set that was not saved) draws
                // nothing: a redraw would replace the import picker being used.
                if list.is_some() && editor.list == list {
                    return;
                }
                editor.error = list.is_none().then(|| failed.to_string());
                editor.list = list;
                editor.pupil_sets.clear();
                // The pupils' sets' questions, for parents' questions to cite.
                for set in pupils {
                    let path = match &set.file {
                        Some(file) => format!("/api/sets/own/{}", encode_component(file)),
                        None => format!("/api/sets/builtin/{}", encode_component(&set.id)),
                    };
                    request(app, "GET", path, None, |app, opened: Option<OpenedSet>| {
                        let Some(editor) = app.editor_mut() else {
                            return;
                        };
                        let Some(opened) = opened else { return };
                        editor.pupil_sets.retain(|s| s.id != opened.draft.id);
                        editor.pupil_sets.push(opened.draft);
                        // An open parents' set lists the pupils' questions as partners.
                        let parents_open = editor
                            .open
                            .as_ref()
                            .is_some_and(|open| open.draft.audience == Audience::Parents);
                        if parents_open {
                            app.render();
                        }
                    });
                }
                app.render();
            },
        );
    }

    fn editor_opened(&mut self, open: Option<OpenSet>) {
        let failed = self.editor_texts().request_failed;
        if let Some(editor) = self.editor_mut() {
            editor.error = open.is_none().then(|| failed.to_string());
            if open.is_some() {
                editor.open = open;
            }
        }
        self.render();
        window().scroll_to_with_x_and_y(0.0, 0.0);
        focus_element("editor-title");
        // Problems found in the file's own text are the truth about it (a misspelt kind
        // reads into the draft as a default); they stay until the person edits. A set
        // opened without problems is checked as the draft (a copy's new id may be taken).
        let has_problems = matches!(&self.page, Page::Console(console)
            if console.editor.as_ref().and_then(|e| e.open.as_ref())
                .is_some_and(|open| !open.problems.is_empty()));
        if has_problems {
            self.editor_show_problems();
        } else {
            self.editor_check_now();
        }
    }

    fn editor_request_body(&self) -> Option<String> {
        let Page::Console(console) = &self.page else {
            return None;
        };
        let open = console.editor.as_ref()?.open.as_ref()?;
        Some(
            serde_json::json!({
                "draft": open.draft,
                "source": open.source,
                "file": open.file,
                "replace": open.replace,
            })
            .to_string(),
        )
    }

    fn editor_check_soon(&mut self) {
        let seq = CHECK_SEQ.with(|s| {
            s.set(s.get().wrapping_add(1));
            s.get()
        });
        let callback = Closure::once_into_js(move || {
            if CHECK_SEQ.with(|s| s.get()) == seq {
                with_app(|app| app.editor_check_now());
            }
        });
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(
            callback.unchecked_ref(),
            CHECK_DELAY_MS,
        );
    }

    fn editor_check_now(&mut self) {
        let Some(body) = self.editor_request_body() else {
            return;
        };
        let seq = CHECK_SEQ.with(|s| {
            s.set(s.get().wrapping_add(1));
            s.get()
        });
        request(
            self,
            "POST",
            "/api/sets/check".into(),
            Some(body),
            move |app, checked: Option<CheckedDraft>| {
                if CHECK_SEQ.with(|s| s.get()) != seq {
                    return;
                }
                let Some(checked) = checked else { return };
                if let Some(open) = app.editor_mut().and_then(|e| e.open.as_mut()) {
                    open.problems = checked.problems;
                }
                app.editor_show_problems();
            },
        );
    }

    fn editor_save(&mut self) {
        let Some(body) = self.editor_request_body() else {
            return;
        };
        request(
            self,
            "POST",
            "/api/sets/save".into(),
            Some(body),
            |app, checked: Option<CheckedDraft>| {
                let t = app.editor_texts();
                let Some(editor) = app.editor_mut() else {
                    return;
                };
                let Some(checked) = checked else {
                    editor.error = Some(t.request_failed.to_string());
                    app.render();
                    return;
                };
                // Saved from another tab meanwhile: nothing was written.
                editor.error = checked.stale.then(|| t.stale.to_string());
                if let Some(open) = editor.open.as_mut() {
                    open.problems = checked.problems;
                    open.exists = checked.exists;
                    open.replace = false;
                    if let Some(file) = checked.saved {
                        open.source = checked.toml;
                        open.file = Some(file.clone());
                        open.saved = Some(file);
                        open.dirty = false;
                        open.exists = None;
                    }
                }
                app.editor_load_list();
                app.send(&pejling_wire::ClientMessage::ListSets);
                app.render();
            },
        );
    }

    /// Reads the file chosen in the import picker.
    fn editor_import_from_input(&mut self) {
        let Some(file) = document()
            .get_element_by_id("import-file")
            .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
            .and_then(|input| input.files())
            .and_then(|files| files.get(0))
        else {
            return;
        };
        import_file(file);
    }

    /// Writes the problems beside their fields and in the list at the top, and the save
    /// button's state, without redrawing the page.
    pub(super) fn editor_show_problems(&self) {
        let Page::Console(console) = &self.page else {
            return;
        };
        let Some(open) = console.editor.as_ref().and_then(|e| e.open.as_ref()) else {
            return;
        };
        let lang = self.lang;
        // Clear, then place each problem at the nearest field that has a place for it.
        if let Ok(places) = document().query_selector_all("[data-problems-for]") {
            for k in 0..places.length() {
                if let Some(place) = places.item(k).and_then(|n| n.dyn_into::<Element>().ok()) {
                    place.set_text_content(None);
                    let _ = place.set_attribute("hidden", "");
                }
            }
        }
        if let Ok(fields) = document().query_selector_all("[aria-invalid]") {
            for k in 0..fields.length() {
                if let Some(field) = fields.item(k).and_then(|n| n.dyn_into::<Element>().ok()) {
                    let _ = field.remove_attribute("aria-invalid");
                }
            }
        }
        for problem in open.all_problems() {
            let Some((place, path)) = nearest_place(&problem.path) else {
                continue;
            };
            let text = problem.text(lang);
            let now = place.text_content().unwrap_or_default();
            place.set_text_content(Some(&if now.is_empty() {
                text.to_string()
            } else {
                format!("{now} {text}")
            }));
            let _ = place.remove_attribute("hidden");
            if let Some(field) = document().get_element_by_id(&field_id(&path)) {
                let _ = field.set_attribute("aria-invalid", "true");
            }
        }
        if let Some(summary) = document().get_element_by_id("editor-problems") {
            let _ = summary.replace_with_with_node_1(&self.problems_summary(open).0);
        }
        self.editor_show_status();
    }

    /// The save button and the status line.
    fn editor_show_status(&self) {
        let Page::Console(console) = &self.page else {
            return;
        };
        let Some(open) = console.editor.as_ref().and_then(|e| e.open.as_ref()) else {
            return;
        };
        if let Some(title) = document().get_element_by_id("editor-title") {
            title.set_text_content(Some(&self.editor_heading(open)));
        }
        if let Some(status) = document().get_element_by_id("editor-status") {
            let _ = status.replace_with_with_node_1(&self.editor_status(open).0);
        }
        if let Some(save) = document().get_element_by_id("editor-save") {
            if open.can_save() {
                let _ = save.remove_attribute("disabled");
            } else {
                let _ = save.set_attribute("disabled", "");
            }
        }
    }

    fn editor_heading(&self, open: &OpenSet) -> String {
        match open.draft.title.trim() {
            "" => self.editor_texts().new_set_title.to_string(),
            title => title.to_string(),
        }
    }

    fn editor_status(&self, open: &OpenSet) -> E {
        let t = self.editor_texts();
        let text = match (&open.saved, open.dirty) {
            (Some(file), false) => format!("{} {file}", t.saved_in),
            (_, true) => t.unsaved.to_string(),
            (None, false) => match &open.file {
                Some(file) => file.clone(),
                None => String::new(),
            },
        };
        el("p")
            .id("editor-status")
            .cls("status")
            .attr("role", "status")
            .text(&text)
    }

    fn problems_summary(&self, open: &OpenSet) -> E {
        let t = self.editor_texts();
        let section = el("section").id("editor-problems").cls("problems");
        if open.can_save() {
            return section.kid(el("p").cls("ok").text(t.no_problems));
        }
        section
            .attr("aria-labelledby", "editor-problems-title")
            .kid(el("h2").id("editor-problems-title").text(t.problems_title))
            .kid(el("ul").kids(open.all_problems().map(|problem| {
                el("li").kid(
                    el("button")
                        .attr("type", "button")
                        .cls("link")
                        .action(&format!("editor:focus:{}", problem.path))
                        .text(&format!(
                            "{}: {}",
                            place_name(&open.draft, &problem.path, t),
                            problem.text(self.lang)
                        )),
                )
            })))
    }

    /// The editor's page: the list of sets, or the set being edited.
    pub(super) fn render_editor(&self, editor: &EditorModel) -> E {
        let t = self.editor_texts();
        let mut main = el("main").cls("console editor");
        if let Some(error) = &editor.error {
            main = main.kid(el("p").cls("error").attr("role", "alert").text(error));
        }
        match &editor.open {
            Some(open) => main.kid(self.render_open(editor, open)),
            None => main
                .kid(button(t.back, "editor:back").cls("secondary back"))
                .kid(
                    el("h1")
                        .id("editor-list-title")
                        .attr("tabindex", "-1")
                        .text(t.title),
                )
                .kid(el("p").cls("hint").text(t.intro))
                .kid(self.render_list(editor)),
        }
    }

    fn render_list(&self, editor: &EditorModel) -> E {
        let t = self.editor_texts();
        let actions = el("div")
            .cls("editor-actions")
            .kid(
                button(t.new_set, "editor:new")
                    .cls("primary")
                    .id("editor-new"),
            )
            .kid(
                // The picker inside its label, so the label shows the keyboard focus.
                el("label")
                    .cls("button secondary file-button")
                    .text(t.import)
                    .kid(
                        el("input")
                            .id("import-file")
                            .cls("visually-hidden")
                            .attr("type", "file")
                            .attr("accept", ".toml,text/plain")
                            .attr("data-change", "import"),
                    ),
            )
            .kid(
                el("p")
                    .cls("hint drop-zone")
                    .id("drop-zone")
                    .text(t.drop_hint),
            );
        let Some(list) = &editor.list else {
            return el("div").kid(actions);
        };
        let item = |set: &EditorSet| {
            let audience = match set.audience {
                Audience::Pupils => t.pupils,
                Audience::Parents => t.parents,
            };
            let mut facts = format!(
                "{} · {} · {} {}",
                audience,
                set.grades.join(", "),
                set.questions,
                t.questions_count
            );
            if set.problems > 0 {
                facts = format!("{facts} · {} {}", set.problems, t.has_problems);
            }
            let (main_button, download, delete) = match &set.file {
                None => (
                    button(t.copy_and_adapt, &format!("editor:copy:{}", set.id))
                        .cls("secondary")
                        .attr(
                            "aria-label",
                            &format!("{}: {}", t.copy_and_adapt, set.title),
                        ),
                    format!("editor:download:builtin:{}", set.id),
                    None,
                ),
                Some(file) => (
                    button(t.edit, &format!("editor:edit:{file}"))
                        .cls("secondary")
                        .attr("aria-label", &format!("{}: {}", t.edit, set.title)),
                    format!("editor:download:own:{file}"),
                    Some(
                        button(t.delete, &format!("editor:delete:{file}"))
                            .cls("secondary small")
                            .attr("aria-label", &format!("{}: {}", t.delete, set.title)),
                    ),
                ),
            };
            el("li")
                .cls("set-item")
                .attr("data-set", &set.id)
                .kid(el("span").cls("set-title").text(&set.title))
                .kid(el("span").cls("set-facts").text(&facts))
                .kid(
                    el("span")
                        .cls("set-buttons")
                        .kid(main_button)
                        .kid(
                            button(t.download, &download)
                                .cls("secondary download")
                                .attr("aria-label", &format!("{}: {}", t.download, set.title)),
                        )
                        .kids(delete),
                )
        };
        let own: Vec<&EditorSet> = list.sets.iter().filter(|s| !s.builtin).collect();
        el("div")
            .kid(actions)
            .kid(el("h2").text(t.own_sets))
            .kid(if own.is_empty() {
                el("p").id("own-sets").text(t.no_own_sets)
            } else {
                el("ul")
                    .id("own-sets")
                    .cls("sets")
                    .kids(own.into_iter().map(item))
            })
            .kid(
                el("p")
                    .cls("hint")
                    .text(&format!("{}: {}", t.folder, list.folder)),
            )
            .kid(el("h2").text(t.builtin_sets))
            .kid(
                el("ul")
                    .id("builtin-sets")
                    .cls("sets")
                    .kids(list.sets.iter().filter(|s| s.builtin).map(item)),
            )
    }

    fn render_open(&self, editor: &EditorModel, open: &OpenSet) -> E {
        let t = self.editor_texts();
        let draft = &open.draft;
        let exists = open.exists.map(|exists| {
            el("div")
                .cls("notice")
                .attr("role", "alert")
                .id("editor-exists")
                .kid(el("p").text(match exists {
                    Existing::Builtin => t.exists_builtin,
                    Existing::Own => t.exists_own,
                }))
                // Which set would be replaced, by its title.
                .kids(
                    editor
                        .list
                        .as_ref()
                        .and_then(|list| {
                            list.sets.iter().find(|set| {
                                set.id == draft.id && set.builtin == (exists == Existing::Builtin)
                            })
                        })
                        .map(|set| el("p").text(&t.exists_named.replace("{title}", &set.title))),
                )
                .kid(
                    button(t.replace, "editor:replace")
                        .cls("secondary")
                        .id("editor-replace"),
                )
                .kid(
                    button(t.keep_both, "editor:keep-both")
                        .cls("primary")
                        .id("editor-keep-both"),
                )
        });
        let bar = el("div")
            .cls("editor-bar")
            .kid(
                button(t.save, "editor:save")
                    .cls("primary")
                    .id("editor-save")
                    .attr_if(!open.can_save(), "disabled", ""),
            )
            .kid(
                button(t.close, "editor:close")
                    .cls("secondary")
                    .id("editor-close"),
            )
            .kid(self.editor_status(open));
        let details = el("fieldset")
            .cls("set-details")
            .kid(el("legend").text(t.details))
            .kid(problem_place(""))
            .kid(text_field("title", t.field_title, &draft.title, None))
            .kid(text_field(
                "id",
                t.field_id,
                &draft.id,
                Some(t.field_id_hint),
            ))
            .kid(select_field(
                "audience",
                t.field_audience,
                &[("pupils", t.pupils), ("parents", t.parents)],
                match draft.audience {
                    Audience::Pupils => "pupils",
                    Audience::Parents => "parents",
                },
            ))
            .kid(select_field(
                "language",
                t.field_language,
                &[("da", t.danish), ("en", t.english)],
                draft.language.code(),
            ))
            .kid(label_list(
                "grades",
                t.field_grades,
                &draft.grades,
                "editor:do:add-grade",
                t.add_grade,
                t,
                |j| format!("editor:do:remove-grade:{j}"),
            ))
            .kid(text_field(
                "min_answers",
                t.field_min_answers,
                &draft.min_answers.map(|n| n.to_string()).unwrap_or_default(),
                Some(t.field_min_answers_hint),
            ))
            .kid(area_field(
                "facilitator_note",
                t.field_facilitator_note,
                &draft.facilitator_note,
            ));
        let questions = el("ol").cls("questions").kids(
            draft
                .questions
                .iter()
                .enumerate()
                .map(|(i, question)| self.render_question(editor, draft, i, question)),
        );
        let add = el("div")
            .cls("editor-add")
            .kid(
                button(t.add_pair, "editor:do:add-pair")
                    .cls("primary")
                    .id("add-pair"),
            )
            .kid(el("p").cls("hint").text(t.add_pair_hint))
            .kid(el("label").attr("for", "add-question").text(t.add_question))
            .kid(
                el("select").id("add-question").kids(
                    KindName::ALL
                        .iter()
                        .map(|kind| el("option").attr("value", kind.code()).text(t.kind(*kind))),
                ),
            )
            .kid(
                button(t.add, "editor:add-question")
                    .cls("secondary")
                    .id("add-question-button"),
            );
        el("div")
            .kid(
                el("h1")
                    .id("editor-title")
                    .attr("tabindex", "-1")
                    .text(&self.editor_heading(open)),
            )
            .kids(exists)
            .kid(bar)
            .kid(self.problems_summary(open))
            .kid(details)
            .kid(el("h2").text(t.questions))
            .kid(questions)
            .kid(add)
    }

    fn render_question(
        &self,
        editor: &EditorModel,
        draft: &SetDraft,
        i: usize,
        q: &QuestionDraft,
    ) -> E {
        let t = self.editor_texts();
        let p = |field: &str| format!("questions.{i}.{field}");
        let n = draft.questions.len();
        let head = el("div")
            .cls("question-head")
            .kid(
                el("h3")
                    .id(&format!("question-{i}-title"))
                    .attr("tabindex", "-1")
                    .text(&format!("{} {} · {}", t.question, i + 1, t.kind(q.kind))),
            )
            .kid(
                button("↑", &format!("editor:do:move:{i}:-1"))
                    .id(&format!("move-up-{i}"))
                    .cls("secondary small")
                    .attr(
                        "aria-label",
                        &format!("{} ({} {})", t.move_up, t.question, i + 1),
                    )
                    .attr_if(i == 0, "disabled", ""),
            )
            .kid(
                button("↓", &format!("editor:do:move:{i}:1"))
                    .id(&format!("move-down-{i}"))
                    .cls("secondary small")
                    .attr(
                        "aria-label",
                        &format!("{} ({} {})", t.move_down, t.question, i + 1),
                    )
                    .attr_if(i + 1 == n, "disabled", ""),
            )
            .kid(
                button(t.remove, &format!("editor:do:remove:{i}"))
                    .cls("secondary small")
                    .attr(
                        "aria-label",
                        &format!("{} ({} {})", t.remove_question, t.question, i + 1),
                    ),
            );
        let mut card = el("li")
            .cls("question-card")
            .id(&format!("question-{i}"))
            .attr("aria-labelledby", &format!("question-{i}-title"))
            .kid(head)
            .kid(problem_place(&format!("questions.{i}")))
            .kid(area_field(&p("text"), t.field_text, &q.text))
            .kid(select_field(
                &p("kind"),
                t.field_kind,
                &KindName::ALL.map(|kind| (kind.code(), t.kind(kind))),
                q.kind.code(),
            ))
            .kid(text_field(
                &p("id"),
                t.field_question_id,
                &q.id,
                Some(t.field_question_id_hint),
            ));
        match q.kind {
            KindName::Choice | KindName::Scale => {
                let label = if q.kind == KindName::Scale {
                    t.field_points
                } else {
                    t.field_options
                };
                card = card.kid(label_list(
                    &p("options"),
                    label,
                    &q.options,
                    &format!("editor:do:add-option:{i}"),
                    if q.kind == KindName::Scale {
                        t.add_point
                    } else {
                        t.add_option
                    },
                    t,
                    |j| format!("editor:do:remove-option:{i}:{j}"),
                ));
            }
            KindName::Number => {
                card = card
                    .kid(text_field(
                        &p("min"),
                        t.field_min,
                        &q.min.map(|n| n.to_string()).unwrap_or_default(),
                        None,
                    ))
                    .kid(text_field(
                        &p("max"),
                        t.field_max,
                        &q.max.map(|n| n.to_string()).unwrap_or_default(),
                        None,
                    ))
                    .kid(text_field(&p("unit"), t.field_unit, &q.unit, None));
            }
            KindName::Percent => {}
        }
        card = card
            .kid(label_list(
                &p("abstain"),
                t.field_abstain,
                &q.abstain,
                &format!("editor:do:add-abstain:{i}"),
                t.add_abstain,
                t,
                |j| format!("editor:do:remove-abstain:{i}:{j}"),
            ))
            .kid(el("p").cls("hint").text(t.field_abstain_hint))
            .kid(check_field(
                &format!("f-questions-{i}-sensitive"),
                &format!("sensitive:{i}"),
                t.field_sensitive,
                q.sensitive,
                Some(t.field_sensitive_hint),
            ));
        card = card.kid(self.render_partner(editor, draft, i, q));
        card = card.kid(self.render_references(editor, i, q));
        card.kid(area_field(&p("note"), t.field_note, &q.note))
            .kid(self.render_preview(q))
    }

    fn render_partner(
        &self,
        editor: &EditorModel,
        draft: &SetDraft,
        i: usize,
        q: &QuestionDraft,
    ) -> E {
        let t = self.editor_texts();
        let id = field_id(&format!("questions.{i}.perceives"));
        let current = q
            .perceives
            .as_ref()
            .map(|p| format!("{}/{}", p.set, p.question))
            .unwrap_or_default();
        let mut choices = editor::partner_choices(draft, i, &editor.pupil_sets);
        // A partner the lists do not hold (a set not loaded, an id typed by hand) stays
        // visible as it is, so the person sees what the checker complains about.
        if let Some(perceives) = &q.perceives
            && !choices
                .iter()
                .any(|(s, qid, _)| *s == perceives.set && *qid == perceives.question)
        {
            choices.push((
                perceives.set.clone(),
                perceives.question.clone(),
                format!("{} {}", perceives.set, perceives.question)
                    .trim()
                    .to_string(),
            ));
        }
        let select = el("select")
            .id(&id)
            .attr("data-change", &format!("partner:{i}"))
            .attr(
                "aria-describedby",
                &problem_id(&format!("questions.{i}.perceives")),
            )
            .kid(el("option").attr("value", "").text(t.perceives_nothing))
            .kids(choices.into_iter().map(|(set, question, label)| {
                let value = format!("{set}/{question}");
                // A question of this set is relabelled in place as its text is typed.
                let index = set
                    .is_empty()
                    .then(|| draft.questions.iter().position(|q| q.id == question))
                    .flatten();
                let option = el("option")
                    .attr("value", &value)
                    .attr_if(value == current, "selected", "")
                    .text(&label);
                match index {
                    Some(index) => option.attr("data-question", &index.to_string()),
                    None => option,
                }
            }));
        let mut group = el("div")
            .cls("field partner")
            .kid(el("label").attr("for", &id).text(t.field_perceives))
            .kid(select)
            .kid(problem_place(&format!("questions.{i}.perceives")));
        if q.kind == KindName::Percent
            && let Some(perceives) = &q.perceives
            && let Some(partner) = editor::partner(draft, perceives, &editor.pupil_sets)
        {
            let options = el("fieldset")
                .cls("partner-options")
                .kid(el("legend").text(t.field_partner_options))
                .kids(partner.options.iter().enumerate().map(|(j, label)| {
                    check_field(
                        &format!("f-questions-{i}-perceives-options-{j}"),
                        &format!("partner-option:{i}:{j}"),
                        label,
                        perceives.options.contains(&(j as u32)),
                        None,
                    )
                }))
                .kid(problem_place(&format!("questions.{i}.perceives.options")));
            group = group.kid(options);
        }
        group
    }

    fn render_references(&self, editor: &EditorModel, i: usize, q: &QuestionDraft) -> E {
        let t = self.editor_texts();
        let lang = self.lang;
        let cited = q.references.iter().enumerate().map(|(j, id)| {
            let label = editor
                .references
                .iter()
                .find(|r| r.id == *id)
                .map(|r| editor::reference_label(r, lang))
                .unwrap_or_else(|| id.clone());
            el("li")
                .id(&field_id(&format!("questions.{i}.references.{j}")))
                .attr("tabindex", "-1")
                .kid(el("span").text(&label))
                .kid(
                    button(t.remove, &format!("editor:do:uncite:{i}:{j}"))
                        .cls("secondary small")
                        .attr("aria-label", &format!("{}: {label}", t.remove)),
                )
                .kid(problem_place(&format!("questions.{i}.references.{j}")))
        });
        let select_id = format!("cite-{i}");
        el("div")
            .cls("field references")
            .kid(el("span").cls("label").text(t.field_references))
            .kid(el("ul").kids(cited))
            .kid(
                el("label")
                    .cls("visually-hidden")
                    .attr("for", &select_id)
                    .text(t.add_reference),
            )
            .kid(
                el("select")
                    .id(&select_id)
                    .attr("data-change", &format!("cite:{i}"))
                    .kid(el("option").attr("value", "").text(t.add_reference))
                    .kids(
                        editor
                            .references
                            .iter()
                            .filter(|r| !q.references.contains(&r.id))
                            .map(|r| {
                                el("option")
                                    .attr("value", &r.id)
                                    .text(&editor::reference_label(r, lang))
                            }),
                    ),
            )
            .kid(el("p").cls("hint").text(t.no_reference_fits))
            .kid(problem_place(&format!("questions.{i}.references")))
    }

    /// The question as a phone shows it (not interactive).
    fn render_preview(&self, q: &QuestionDraft) -> E {
        let t = self.editor_texts();
        let mut phone = el("div")
            .cls("phone-preview")
            .attr("aria-hidden", "true")
            .kid(el("p").cls("preview-question").text(&q.text));
        match q.kind {
            KindName::Choice | KindName::Scale => {
                phone = phone.kids(
                    q.options
                        .iter()
                        .map(|o| el("span").cls("preview-option").text(o)),
                );
            }
            KindName::Percent => {
                phone = phone
                    .kid(el("span").cls("preview-slider"))
                    .kid(el("span").cls("preview-hint").text(t.preview_slider));
            }
            KindName::Number => {
                let range = format!(
                    "{} – {} {}",
                    q.min.map(|n| n.to_string()).unwrap_or_default(),
                    q.max.map(|n| n.to_string()).unwrap_or_default(),
                    q.unit
                );
                phone = phone.kid(el("span").cls("preview-number").text(range.trim()));
            }
        }
        phone = phone.kids(
            q.abstain
                .iter()
                .map(|a| el("span").cls("preview-option abstain").text(a)),
        );
        el("details")
            .cls("preview")
            .kid(el("summary").text(t.preview))
            .kid(phone)
    }
}

fn parse_edit(text: &str) -> Option<Edit> {
    let parts: Vec<&str> = text.split(':').collect();
    let n = |k: usize| parts.get(k).and_then(|p| p.parse::<usize>().ok());
    Some(match parts.first().copied()? {
        "add-pair" => Edit::AddPair,
        "add-grade" => Edit::AddGrade,
        "remove-grade" => Edit::RemoveGrade(n(1)?),
        "remove" => Edit::Remove(n(1)?),
        "move" => Edit::Move(n(1)?, parts.get(2)?.parse().ok()?),
        "add-option" => Edit::AddOption(n(1)?),
        "remove-option" => Edit::RemoveOption(n(1)?, n(2)?),
        "add-abstain" => Edit::AddAbstain(n(1)?),
        "remove-abstain" => Edit::RemoveAbstain(n(1)?, n(2)?),
        "uncite" => Edit::Uncite(n(1)?, n(2)?),
        _ => return None,
    })
}

/// The element id of the field at `path`.
fn field_id(path: &str) -> String {
    if path.is_empty() {
        "editor-title".to_string()
    } else {
        format!("f-{}", path.replace('.', "-"))
    }
}

fn problem_id(path: &str) -> String {
    format!(
        "p-{}",
        if path.is_empty() {
            "set".to_string()
        } else {
            path.replace('.', "-")
        }
    )
}

/// Where the problems of `path` are written (hidden while there are none).
fn problem_place(path: &str) -> E {
    el("p")
        .cls("field-problem")
        .id(&problem_id(path))
        .attr("data-problems-for", path)
        .attr("hidden", "")
}

fn set_input_value(id: &str, value: &str) {
    if let Some(input) = document()
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
    {
        input.set_value(value);
    }
}

/// The partner lists name question `i` by its number and text: written again after its
/// text or id changed, without redrawing the lists (a list being used stays open).
fn relabel_partner_options(i: usize, question: &QuestionDraft) {
    let Ok(options) = document().query_selector_all("select[data-change^='partner:'] option")
    else {
        return;
    };
    let label = editor::partner_label(i, question);
    for k in 0..options.length() {
        let Some(option) = options
            .item(k)
            .and_then(|n| n.dyn_into::<web_sys::HtmlOptionElement>().ok())
        else {
            continue;
        };
        if option.get_attribute("data-question").as_deref() == Some(&i.to_string()) {
            option.set_value(&format!("/{}", question.id));
            option.set_text(&label);
        }
    }
}

/// `path` and the paths that enclose it, innermost first: `questions.2.options.1`,
/// `questions.2.options`, `questions.2`, `questions`, `` (the set).
fn enclosing(path: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(path), |path| {
        (!path.is_empty()).then(|| path.rsplit_once('.').map_or("", |(head, _)| head))
    })
}

/// The place for a problem at `path`, or at the nearest enclosing field that has one.
fn nearest_place(path: &str) -> Option<(Element, String)> {
    enclosing(path).find_map(|path| {
        document()
            .get_element_by_id(&problem_id(path))
            .map(|place| (place, path.to_string()))
    })
}

/// Moves the keyboard to the field a problem is about, or the nearest enclosing one.
fn focus_field(path: &str) {
    let _ = enclosing(path).any(|path| focus_element(&field_id(path)));
}

/// Names a problem's place for the list at the top: "Spørgsmål 3 · Svarmuligheder".
fn place_name(draft: &SetDraft, path: &str, t: &EditorTexts) -> String {
    let parts: Vec<&str> = path.split('.').collect();
    let field = |name: &str, kind: Option<KindName>| match name {
        "title" => t.field_title,
        "id" => t.field_id,
        "audience" => t.field_audience,
        "language" => t.field_language,
        "grades" => t.field_grades,
        "min_answers" => t.field_min_answers,
        "facilitator_note" => t.field_facilitator_note,
        "text" => t.field_text,
        "kind" => t.field_kind,
        "options" if kind == Some(KindName::Scale) => t.field_points,
        "options" | "points" => t.field_options,
        "min" => t.field_min,
        "max" => t.field_max,
        "unit" => t.field_unit,
        "abstain" => t.field_abstain,
        "perceives" => t.field_perceives,
        "references" => t.field_references,
        "note" => t.field_note,
        _ => t.whole_set,
    };
    match parts.as_slice() {
        [""] => t.whole_set.to_string(),
        ["questions", i] => format!("{} {}", t.question, i.parse::<usize>().map_or(0, |i| i + 1)),
        ["questions", i, name, ..] => {
            let index = i.parse::<usize>().ok();
            let kind = index.and_then(|i| draft.questions.get(i)).map(|q| q.kind);
            format!(
                "{} {} · {}",
                t.question,
                index.map_or(0, |i| i + 1),
                field(name, kind)
            )
        }
        [name, ..] => field(name, None).to_string(),
        [] => t.whole_set.to_string(),
    }
}

fn hint(text: Option<&str>, id: &str) -> Option<E> {
    text.map(|text| el("p").cls("hint").id(id).text(text))
}

fn text_field(path: &str, label: &str, value: &str, hint_text: Option<&str>) -> E {
    let id = field_id(path);
    let hint_id = format!("{id}-hint");
    let input = el("input")
        .id(&id)
        .attr("type", "text")
        .attr("data-field", path)
        .attr(
            "aria-describedby",
            &format!("{} {hint_id}", problem_id(path)),
        );
    let _ = input
        .0
        .clone()
        .dyn_into::<HtmlInputElement>()
        .map(|i| i.set_value(value));
    el("div")
        .cls("field")
        .kid(el("label").attr("for", &id).text(label))
        .kid(input)
        .kids(hint(hint_text, &hint_id))
        .kid(problem_place(path))
}

fn area_field(path: &str, label: &str, value: &str) -> E {
    let id = field_id(path);
    let area = el("textarea")
        .id(&id)
        .attr("rows", "3")
        .attr("data-field", path)
        .attr("aria-describedby", &problem_id(path))
        .text(value);
    el("div")
        .cls("field")
        .kid(el("label").attr("for", &id).text(label))
        .kid(area)
        .kid(problem_place(path))
}

fn select_field(path: &str, label: &str, choices: &[(&str, &str)], current: &str) -> E {
    let id = field_id(path);
    el("div")
        .cls("field")
        .kid(el("label").attr("for", &id).text(label))
        .kid(
            el("select")
                .id(&id)
                .attr("data-field", path)
                .attr("aria-describedby", &problem_id(path))
                .kids(choices.iter().map(|(value, text)| {
                    el("option")
                        .attr("value", value)
                        .attr_if(*value == current, "selected", "")
                        .text(text)
                })),
        )
        .kid(problem_place(path))
}

fn check_field(id: &str, change: &str, label: &str, checked: bool, hint_text: Option<&str>) -> E {
    let hint_id = format!("{id}-hint");
    el("div")
        .cls("check")
        .kid(
            el("input")
                .id(id)
                .attr("type", "checkbox")
                .attr("data-change", change)
                .attr_if(checked, "checked", "")
                .attr_if(hint_text.is_some(), "aria-describedby", &hint_id),
        )
        .kid(el("label").attr("for", id).text(label))
        .kids(hint(hint_text, &hint_id))
}

/// A list of labels (options, scale points, opt-out answers, grades): one field each,
/// with a remove button, and an add button.
fn label_list(
    path: &str,
    label: &str,
    items: &[String],
    add_action: &str,
    add_label: &str,
    t: &EditorTexts,
    remove_action: impl Fn(usize) -> String,
) -> E {
    let legend_id = format!("{}-legend", field_id(path));
    el("fieldset")
        .cls("label-list")
        .id(&field_id(path))
        .attr("tabindex", "-1")
        .kid(el("legend").id(&legend_id).text(label))
        .kids(items.iter().enumerate().map(|(j, item)| {
            let item_path = format!("{path}.{j}");
            let id = field_id(&item_path);
            let input = el("input")
                .id(&id)
                .attr("type", "text")
                .attr("data-field", &item_path)
                .attr("aria-label", &format!("{label} {}", j + 1))
                .attr("aria-describedby", &problem_id(&item_path));
            let _ = input
                .0
                .clone()
                .dyn_into::<HtmlInputElement>()
                .map(|i| i.set_value(item));
            el("div")
                .cls("label-item")
                .kid(input)
                .kid(
                    button(t.remove, &remove_action(j))
                        .cls("secondary small")
                        .attr("aria-label", &format!("{}: {label} {}", t.remove, j + 1)),
                )
                .kid(problem_place(&item_path))
        }))
        .kid(button(add_label, add_action).cls("secondary small"))
        .kid(problem_place(path))
}

/// Reads a `.toml` file (picked or dropped) and asks the server to open it as an import.
/// Reads a `.toml` file (picked or dropped) and asks the server to open it as an import.
/// The file's bytes go as they are, so the server can tell a file that is not UTF-8 (a
/// set saved as "ANSI" in Notepad) instead of reading æøå as replacement characters.
pub(super) fn import_file(file: web_sys::File) {
    wasm_bindgen_futures::spawn_local(async move {
        let bytes = super::read_bytes(&file).await;
        let token = super::with_app_value(host_token);
        let answer = match bytes {
            Some(bytes) => {
                request_body("POST", "/api/sets/import", &token, Some(bytes.into())).await
            }
            None => Err(()),
        };
        with_app(|app| {
            let lang: Language = app.lang;
            let t = EditorTexts::of(lang);
            let opened = match &answer {
                Ok((200, body)) => serde_json::from_str::<OpenedSet>(body).ok(),
                _ => None,
            };
            if let Some(opened) = opened {
                app.editor_opened(Some(OpenSet::imported(opened)));
                return;
            }
            // Not a set file: say why in the person's language.
            let message = match &answer {
                Ok((422, body)) => match serde_json::from_str::<CheckedDraft>(body) {
                    Ok(checked) => {
                        let why = checked
                            .problems
                            .first()
                            .map(|p: &FieldProblem| p.text(lang).to_string())
                            .unwrap_or_default();
                        format!("{}: {why}", t.import_not_a_set)
                    }
                    Err(_) => t.import_not_utf8.to_string(),
                },
                Ok((413, _)) => t.import_too_large.to_string(),
                _ => t.request_failed.to_string(),
            };
            if let Some(editor) = app.editor_mut() {
                editor.error = Some(message);
            }
            app.render();
        });
    });
}

/// Downloads a set file: fetched with the host token in a header (a link would carry the
/// token in its address), then saved from memory under its name.
fn download(token: String, path: String, name: String) {
    wasm_bindgen_futures::spawn_local(async move {
        let answer = api("GET", &path, &token, None).await;
        let saved = match answer {
            Ok((200, text)) => save_file(&name, &text, "application/toml").is_ok(),
            _ => false,
        };
        if !saved {
            with_app(|app| {
                let failed = app.editor_texts().request_failed;
                if let Some(editor) = app.editor_mut() {
                    editor.error = Some(failed.to_string());
                }
                app.render();
            });
        }
    });
}
