//! The facilitator console: log in with the host token, start or attach to a session,
//! run it (the main button names the engine's next step), download reports. Compiled
//! into the staff module (feature `staff`) with the projector screen.

use pejling_wire::{
    Action, ClientMessage, Description, DescriptionField, Hidden, Phase, QuestionStatus,
    QuestionView, ServerMessage, SessionState, SessionSummary, Tally, description_key,
};

use super::{
    App, E, Page, button, document, el, encode_component, fetch_blob, input_value, public_url,
    save_blob, show_chart, stored_session, window, with_app,
};
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;

use crate::bars::bars;
use crate::console::{ConsoleModel, Redraw, SESSION_KEY, session_details, session_name, term_of};
use crate::i18n::{Language, Texts, question_of, waiting_note};
use crate::overview::ReportStatus;
use crate::overview::exchange::file_name;
use crate::screen::action_label;

impl App {
    /// Applies a message (the DOM-free `ConsoleModel` decides), keeps what it says in the
    /// tab's storage and redraws as much as it says. Returns what to send and whether to
    /// stop reconnecting.
    pub(super) fn console_on_message(
        &mut self,
        message: ServerMessage,
    ) -> (Vec<ClientMessage>, bool) {
        let lang = self.lang;
        let Page::Console(console) = &mut self.page else {
            return (Vec::new(), false);
        };
        let update = console.on_message(message, stored_session(SESSION_KEY), lang);
        apply_storage(&update.store);
        match update.redraw {
            Some(Redraw::All) => self.render(),
            Some(Redraw::Live) => {
                if !self.console_redraw_live() {
                    self.render();
                }
            }
            Some(Redraw::Nothing) | None => {}
        }
        (update.send, update.stop)
    }

    /// The console's controls; returns whether `name` was one of them.
    pub(super) fn console_on_action(&mut self, name: &str, arg: &str) -> bool {
        match name {
            "download" => self.download(arg),
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
                let linked_sessions = checked_values("input.link-session");
                // A parent evening with no class ticked can only compare the parents with
                // national figures: ask before starting it that way.
                let parents_set = matches!(
                    &self.page,
                    Page::Console(console) if console.sets.iter().any(|set| {
                        set.id == set_id && !set.cites.is_empty()
                    })
                );
                if parents_set
                    && linked_sessions.is_empty()
                    && !window()
                        .confirm_with_message(self.texts().confirm_no_links)
                        .unwrap_or(false)
                {
                    return true;
                }
                if !set_id.is_empty() {
                    let mut description = Description::default();
                    for field in DescriptionField::ALL {
                        description.set(field, Some(input_value(&field_input(field))));
                    }
                    self.send(&ClientMessage::CreateSession {
                        set_id,
                        label: Some(label).filter(|l| !l.trim().is_empty()),
                        // Empty values are dropped; the server keeps earlier spellings.
                        description: description.cleaned(),
                        linked_sessions,
                        rehearsal: false,
                        follow_up_of: Some(select_value("follow-up-select"))
                            .filter(|id| !id.is_empty()),
                    });
                }
            }
            "rehearse" => {
                let set_id = select_value("set-select");
                if !set_id.is_empty() {
                    self.send(&ClientMessage::CreateSession {
                        set_id,
                        label: Some(self.texts().rehearsal_label.to_string()),
                        follow_up_of: None,
                        // A rehearsal is no class: it is never counted anywhere.
                        description: Description::default(),
                        linked_sessions: Vec::new(),
                        rehearsal: true,
                    });
                }
            }
            "attach" => self.send(&ClientMessage::AttachSession {
                session_id: arg.to_string(),
            }),
            "home" => {
                if let Page::Console(console) = &mut self.page {
                    let update = console.home();
                    apply_storage(&update.store);
                    for message in &update.send {
                        self.send(message);
                    }
                }
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
                            return true;
                        }
                        Action::End
                    }
                    _ => return true,
                };
                self.send(&ClientMessage::Control { action });
            }
            _ => return false,
        }
        true
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
            // The chart's key in the address fetches a new chart when it changes.
            let path = format!("/chart/{}/{}.svg?v={}", tally.session_id, question.id, key);
            let image = el("img")
                .cls("comparison-chart")
                .attr("alt", &format!("{}: {}", t.comparison_alt, question.text));
            show_chart(&image.0, &path, chart_token);
            return el("figure").cls("comparison").kid(image);
        }
        let Some(result) = &q.result else {
            return match q.hidden {
                Some(Hidden::TooFew { needed }) => el("p")
                    .cls("hidden-note too-few")
                    .text(&t.too_few.replace("{n}", &needed.to_string())),
                Some(Hidden::UntilComparison) => {
                    el("p").cls("hidden-note").text(t.hidden_until_comparison)
                }
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
            facts.push(format!("{}: {}", t.mean, self.lang.decimal(mean)));
        }
        if let Some(median) = chart.median {
            facts.push(format!("{}: {}", t.median, self.lang.decimal(median)));
        }
        let abstained = chart.abstained_labels();
        if !abstained.is_empty() {
            facts.push(format!("{} — {}", t.abstained, abstained.join(", ")));
        }
        if !facts.is_empty() {
            figure = figure.kid(el("figcaption").text(&facts.join(" · ")));
        }
        figure
    }

    /// The live counts (participants, connected, clicker receivers): redrawn alone on a
    /// tally.
    fn console_counts(&self, console: &ConsoleModel, session_id: &str) -> E {
        let t = self.texts();
        let tally = console
            .tally
            .as_ref()
            .filter(|tally| tally.session_id == session_id);
        let (participants, connected, clickers) =
            tally.map_or((0, 0, 0), |t| (t.participants, t.connected, t.clickers));
        let bridges = tally.map(|t| t.bridges.as_slice()).unwrap_or_default();
        el("div")
            .id("console-live-counts")
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
    }

    /// The current question with its result: redrawn alone on a tally.
    fn console_current(&self, console: &ConsoleModel, state: &SessionState) -> E {
        let t = self.texts();
        let tally = console
            .tally
            .as_ref()
            .filter(|tally| tally.session_id == state.session.id);
        let phase = state.phase;
        let ended = phase == Phase::Ended;
        let current_status = state
            .current
            .as_ref()
            .and_then(|c| state.questions.get(c.index as usize))
            .map(|q| q.status);
        let body = el("div").id("console-live-current");
        match &state.current {
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
                .kids(
                    tally
                        .and_then(|t| t.question.as_ref())
                        .filter(|q| q.question_id == question.id && q.hidden.is_none())
                        .and_then(|q| q.waiting.as_ref())
                        .map(|waiting| {
                            el("p")
                                .cls("waiting-note")
                                .id("console-waiting-note")
                                .text(&waiting_note(t, waiting))
                        }),
                )
                .kid(self.results(
                    question,
                    tally,
                    console.token.as_deref().unwrap_or_default(),
                ))
            }
            _ => body.kid(el("p").text(phase_text(t, phase))),
        }
    }

    /// Redraws only the live parts of a session's page (after a tally), leaving the
    /// rest — an open note, the keyboard focus, the controls — as it is.
    pub(super) fn console_redraw_live(&self) -> bool {
        let Page::Console(console) = &self.page else {
            return false;
        };
        let Some(state) = &console.session else {
            return false;
        };
        let (Some(counts), Some(current)) = (
            document().get_element_by_id("console-live-counts"),
            document().get_element_by_id("console-live-current"),
        ) else {
            return false;
        };
        let _ = counts.replace_with_with_node_1(&self.console_counts(console, &state.session.id).0);
        let _ = current.replace_with_with_node_1(&self.console_current(console, state).0);
        true
    }

    /// Buttons for the session's report and figures (the same files as `pejling
    /// export`), fetched with the token in a header and saved from memory: a link would
    /// carry the token in its address (history, the downloads list, the status bar).
    fn downloads(&self, console: &ConsoleModel) -> E {
        let t = self.texts();
        let fetching = console.download == ReportStatus::Fetching;
        let download = |file: &str, text: &str, id: &str| {
            let control = button(text, &format!("download:{file}"))
                .cls("secondary small")
                .id(id);
            if fetching {
                control.attr("aria-disabled", "true")
            } else {
                control
            }
        };
        let mut downloads = el("div")
            .cls("downloads")
            .kid(el("span").text(&format!("{}:", t.download)))
            .kid(download("report.html", t.report_html, "download-report"))
            .kid(download("results.csv", t.results_csv, "download-csv"));
        let status = el("span")
            .id("download-status")
            .attr("role", "status")
            .attr("aria-live", "polite");
        downloads = downloads.kid(match console.download {
            ReportStatus::Failed => status.cls("error").text(t.download_failed),
            ReportStatus::Fetching => status.text(t.download_fetching),
            ReportStatus::Idle => status,
        });
        downloads
    }

    /// Fetches `file` of the session shown (`report.html` or `results.csv`) with the
    /// host token in a header and saves it under the name the server gives it.
    fn download(&mut self, file: &str) {
        let Page::Console(console) = &mut self.page else {
            return;
        };
        let (Some(state), Some(token)) = (&console.session, console.token.clone()) else {
            return;
        };
        if console.download == ReportStatus::Fetching {
            return;
        }
        let path = format!("/export/{}/{file}", state.session.id);
        let file = file.to_string();
        console.download = ReportStatus::Fetching;
        self.render();
        wasm_bindgen_futures::spawn_local(async move {
            let saved = match fetch_blob(&path, &token).await {
                Some((blob, disposition)) => {
                    let name = match disposition {
                        Some(disposition) => file_name(Some(&disposition)),
                        None => file,
                    };
                    save_blob(&name, &blob).is_ok()
                }
                None => false,
            };
            with_app(|app| {
                if let Page::Console(console) = &mut app.page {
                    console.download = if saved {
                        ReportStatus::Idle
                    } else {
                        ReportStatus::Failed
                    };
                    app.render();
                }
            });
        });
    }

    /// The console page, with pejling's version at its foot (the client is built with
    /// the server and embedded in it, so its version is the server's).
    pub(super) fn render_console(&self, console: &ConsoleModel) -> E {
        el("div").kid(self.console_page(console)).kid(
            el("footer")
                .cls("version")
                .text(concat!("pejling ", env!("CARGO_PKG_VERSION"))),
        )
    }

    /// The start form's school, grade, class and term, each offering the values given
    /// before (a `<datalist>`), so a school is spelt the same way every time.
    fn describe_fields(&self, console: &ConsoleModel) -> E {
        let t = self.texts();
        let now = js_sys::Date::new_0();
        let this_term = term_of(now.get_full_year() as i32, now.get_month() + 1, self.lang);
        let fields = DescriptionField::ALL.into_iter().map(|field| {
            let (label, placeholder) = match field {
                DescriptionField::School => (t.school_label, t.school_placeholder),
                DescriptionField::Grade => (t.grade_label, t.grade_placeholder),
                DescriptionField::Class => (t.class_label, t.class_placeholder),
                DescriptionField::Term => (t.term_label, t.term_placeholder),
            };
            let mut offered = console.earlier_values(field);
            let extra: Vec<String> = match field {
                // The sets' grades, and this term.
                DescriptionField::Grade => console
                    .sets
                    .iter()
                    .flat_map(|set| set.grades.iter().cloned())
                    .collect(),
                DescriptionField::Term => vec![this_term.clone()],
                _ => Vec::new(),
            };
            for value in extra {
                if !offered
                    .iter()
                    .any(|o| description_key(o) == description_key(&value))
                {
                    offered.push(value);
                }
            }
            let input = field_input(field);
            let list = format!("{}-options", field.code());
            el("div")
                .cls("describe-field")
                .kid(el("label").attr("for", &input).text(label))
                .kid(
                    el("input")
                        .id(&input)
                        .attr("type", "text")
                        .attr("list", &list)
                        .attr("autocomplete", "off")
                        .attr(
                            "maxlength",
                            &pejling_wire::MAX_DESCRIPTION_CHARS.to_string(),
                        )
                        .attr("placeholder", placeholder),
                )
                .kid(
                    el("datalist").id(&list).kids(
                        offered
                            .iter()
                            .map(|value| el("option").attr("value", value)),
                    ),
                )
        });
        el("fieldset")
            .cls("describe")
            .attr("aria-describedby", "describe-hint")
            .kid(el("legend").text(t.describe_legend))
            .kid(el("div").cls("describe-grid").kids(fields))
            .kid(
                el("p")
                    .cls("hint")
                    .id("describe-hint")
                    .text(t.describe_hint),
            )
    }

    fn console_page(&self, console: &ConsoleModel) -> E {
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
        if let (None, Some(editor)) = (&console.session, &console.editor) {
            return el("div").kid(header).kid(self.render_editor(editor));
        }
        if let (None, Some(overview)) = (&console.session, &console.overview) {
            return el("div").kid(header).kid(self.render_overview(overview));
        }
        let Some(state) = &console.session else {
            let sets = console.sets.iter().map(|set| {
                let audience = match set.audience {
                    pejling_wire::Audience::Pupils => t.audience_pupils,
                    pejling_wire::Audience::Parents => t.audience_parents,
                };
                // The person's own sets (from the sets folder) are told from built-in ones.
                let own = if set.origin.starts_with("builtin:") {
                    String::new()
                } else {
                    format!(" · {}", crate::editor::EditorTexts::of(self.lang).own_mark)
                };
                el("option").attr("value", &set.id).text(&format!(
                    "{} — {} ({}, {}){own}",
                    set.title,
                    set.grades.join(", "),
                    audience,
                    set.questions
                ))
            });
            let sessions = console.sessions.iter().map(|session| {
                let mut text = format!(
                    "{} · {} · {} · {} {} · {}",
                    local_time(session.created_at, self.lang),
                    session_name(session),
                    session.set_title,
                    session.participants,
                    t.participants,
                    phase_text(t, session.phase)
                );
                let details = session_details(session, self.lang);
                if !details.is_empty() {
                    text = format!("{text} · {details}");
                }
                if !session.linked.is_empty() {
                    // Names hold commas ("7.a, Nordskolen").
                    text = format!("{text} · {} {}", t.linked_to, session.linked.join("; "));
                }
                if let Some(earlier) = session
                    .follow_up_of
                    .as_ref()
                    .and_then(|id| console.sessions.iter().find(|s| s.id == *id))
                {
                    text = format!("{text} · {} {}", t.follow_up_of, session_name(earlier));
                }
                if session.rehearsal {
                    text = format!("{text} · {}", t.rehearsal_label);
                }
                el("li")
                    .kid(el("span").text(&text))
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
                // A rehearsal's simulated answers are never linked (the server refuses).
                .filter(|s| {
                    s.phase == Phase::Ended && !s.rehearsal && cited.contains(&s.set_id.as_str())
                })
                .collect();
            // A follow-up of an earlier class session (not a rehearsal); the server checks
            // that its set shares a question pair with the chosen set.
            let earlier: Vec<&SessionSummary> = console
                .sessions
                .iter()
                .filter(|s| {
                    !s.rehearsal
                        && s.participants > 0
                        && console.sets.iter().any(|set| {
                            set.id == s.set_id && set.audience == pejling_wire::Audience::Pupils
                        })
                })
                .collect();
            let follow_up = (!earlier.is_empty()).then(|| {
                el("div")
                    .kid(
                        el("label")
                            .attr("for", "follow-up-select")
                            .text(t.follow_up_label),
                    )
                    .kid(
                        el("select")
                            .id("follow-up-select")
                            .attr("aria-describedby", "follow-up-hint")
                            .kid(el("option").attr("value", "").text(t.follow_up_none))
                            .kids(earlier.into_iter().map(|session| {
                                el("option").attr("value", &session.id).text(&format!(
                                    "{} · {} · {}",
                                    session_name(session),
                                    session.set_title,
                                    local_time(session.created_at, self.lang)
                                ))
                            })),
                    )
                    .kid(
                        el("p")
                            .cls("hint")
                            .id("follow-up-hint")
                            .text(t.follow_up_hint),
                    )
            });
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
                                session_name(session),
                                session.set_title,
                                session.participants,
                                t.participants
                            )))
                    }))
            });
            // On first start, the three steps of a lesson.
            let first_steps = console.sessions.is_empty().then(|| {
                el("section")
                    .cls("first-steps")
                    .kid(el("h2").text(t.first_steps_title))
                    .kid(el("ol").kids(t.first_steps.iter().map(|step| el("li").text(step))))
            });
            return el("div").kid(header).kid(
                main.kids(first_steps)
                    .kid(el("h1").text(t.start_session))
                    .kid(el("label").attr("for", "set-select").text(t.pick_set))
                    .kid(el("select").id("set-select").kids(sets))
                    .kid(self.describe_fields(console))
                    .kid(el("label").attr("for", "label-input").text(t.label_label))
                    .kid(
                        el("input")
                            .id("label-input")
                            .attr("type", "text")
                            .attr("maxlength", "120")
                            .attr("aria-describedby", "label-hint")
                            .attr("placeholder", t.label_placeholder),
                    )
                    .kid(el("p").cls("hint").id("label-hint").text(t.label_hint))
                    .kids(links)
                    .kids(follow_up)
                    .kid(
                        button(t.start_session, "create")
                            .cls("primary")
                            .id("create-session"),
                    )
                    .kid(
                        button(t.rehearse, "rehearse")
                            .cls("secondary rehearse")
                            .id("rehearse"),
                    )
                    .kid(el("p").cls("hint").text(t.rehearse_hint))
                    .kid(
                        el("div")
                            .cls("start-tools")
                            .kid(
                                button(t.open_overview, "overview:open")
                                    .cls("secondary")
                                    .id("open-overview")
                                    .attr("aria-describedby", "overview-hint"),
                            )
                            .kid(
                                button(
                                    crate::editor::EditorTexts::of(self.lang).open_editor,
                                    "editor:open",
                                )
                                .cls("secondary")
                                .id("open-editor"),
                            ),
                    )
                    .kid(
                        el("p")
                            .cls("hint")
                            .id("overview-hint")
                            .text(t.overview_hint),
                    )
                    .kid(el("h2").text(t.earlier_sessions))
                    .kid(list),
            );
        };
        let info = &state.session;
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
        let name = info
            .label
            .clone()
            .or_else(|| info.description.name())
            .unwrap_or_else(|| info.code.clone());
        let mut body = el("section").kid(el("h1").text(&format!("{name} — {}", info.set_title)));
        if info.rehearsal {
            body = body.kid(
                el("p")
                    .cls("rehearsal")
                    .attr("role", "status")
                    .text(t.rehearsal_badge),
            );
        }
        if phase == Phase::Ended {
            // Said at the top, with the way on, rather than greyed-out buttons only.
            body = body.kid(
                el("div")
                    .cls("notice")
                    .id("session-ended")
                    .attr("role", "status")
                    .kid(el("p").text(t.session_ended_notice))
                    .kid(button(t.back_to_sets, "home").cls("secondary")),
            );
        }
        body = body
            .kid(
                el("p")
                    .cls("code-line")
                    .text(&format!("{} ", t.code_word))
                    .kid(el("strong").id("session-code").text(&info.code))
                    .text(&format!(" · {}/j/{}", public_url(), info.code)),
            )
            .kid(self.console_counts(console, &info.id))
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
            .kid(if info.rehearsal {
                // Simulated answers are never exported (the server refuses too).
                el("p").cls("downloads").text(t.rehearsal_not_exported)
            } else {
                self.downloads(console)
            })
            .kid(controls);
        if let Some(note) = &info.facilitator_note {
            body = body.kid(
                el("details")
                    .cls("facilitator-note")
                    .id("facilitator-note")
                    .kid(el("summary").text(t.facilitator_note))
                    .kids(
                        note.split("\n\n")
                            .map(|paragraph| el("p").text(&paragraph.replace('\n', " "))),
                    ),
            );
        }
        body = body.kid(self.console_current(console, state));
        let questions = state.questions.iter().enumerate().map(|(i, q)| {
            let current = state
                .current
                .as_ref()
                .is_some_and(|c| c.index as usize == i);
            el("li")
                .attr_if(current, "aria-current", "step")
                .text(&format!("{} — {}", q.text, status_text(t, q.status)))
        });
        body = body
            .kid(el("h2").text(t.questions_heading))
            .kid(el("ol").cls("question-list").kids(questions))
            .kid(button(t.back_to_sets, "home").cls("secondary"));
        el("div").kid(header).kid(main.kid(body))
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

/// The start form's input for a description field, e.g. `school-input`.
fn field_input(field: DescriptionField) -> String {
    format!("{}-input", field.code())
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

/// Keeps or forgets keys in the tab's sessionStorage, as the model says.
fn apply_storage(store: &[(&'static str, Option<String>)]) {
    let Some(storage) = window().session_storage().ok().flatten() else {
        return;
    };
    for (key, value) in store {
        let _ = match value {
            Some(value) => storage.set_item(key, value),
            None => storage.remove_item(key),
        };
    }
}

/// A moment (Unix seconds) in this computer's time zone, as people write it: "02.12.2026
/// 09:15" in Danish, "2026-12-02 09:15" in English.
fn local_time(unix_seconds: i64, lang: Language) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
        unix_seconds as f64 * 1000.0,
    ));
    let (year, month, day) = (date.get_full_year(), date.get_month() + 1, date.get_date());
    let (hours, minutes) = (date.get_hours(), date.get_minutes());
    match lang {
        Language::Da => format!("{day:02}.{month:02}.{year} {hours:02}:{minutes:02}"),
        Language::En => format!("{year}-{month:02}-{day:02} {hours:02}:{minutes:02}"),
    }
}
