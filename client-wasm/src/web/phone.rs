//! The phone page: joining, answering, "thank you", changing an answer. The state
//! machine is `crate::phone` (DOM-free, tested natively); this is its drawing and input
//! glue. Compiled into the phone's module only (feature `phone`), so a phone downloads
//! none of the screen's or the console's code.

use pejling_wire::{Answer, QuestionKindView, QuestionView, ServerMessage};
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;

use super::{App, E, Page, button, document, el, input_value, store, stored};
use crate::i18n::{Texted, question_of};
use crate::phone::{Output, Phone, PhoneError, Screen};

impl App {
    /// Applies a message; returns what to send and whether to stop reconnecting.
    pub(super) fn phone_on_message(
        &mut self,
        message: ServerMessage,
    ) -> (Vec<pejling_wire::ClientMessage>, bool) {
        let mut to_send = Vec::new();
        let mut stop = false;
        if let Page::Phone(phone) = &mut self.page {
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
        (to_send, stop)
    }

    pub(super) fn phone_on_input(&mut self, id: &str, value: &str) {
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

    /// The phone's controls; returns whether `name` was one of them.
    pub(super) fn phone_on_action(&mut self, name: &str, arg: &str) -> bool {
        let index = arg.parse::<u32>().ok();
        match name {
            "join-code" => {
                let code = input_value("code-input");
                if code.trim().is_empty() {
                    return true;
                }
                if let Page::Phone(phone) = &mut self.page {
                    let normalized = pejling_wire::normalize_join_code(&code);
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
                    (_, range) => {
                        if let Some(input) = document().get_element_by_id("number-input") {
                            let _ = input.set_attribute("aria-invalid", "true");
                            let _ = input.set_attribute("aria-describedby", "number-error");
                        }
                        // Say what fits, where the pupil is looking.
                        if let Some((min, max)) = range {
                            set_text(
                                "number-error",
                                &self
                                    .texts()
                                    .number_out_of_range
                                    .replace("{min}", &min.to_string())
                                    .replace("{max}", &max.to_string()),
                            );
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
            _ => return false,
        }
        true
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

    pub(super) fn render_phone(&self, phone: &Phone) -> (E, String) {
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
                let message = match error {
                    Some(PhoneError::UnknownCode) => Some(t.unknown_code),
                    Some(PhoneError::TooManyTries) => {
                        Some(self.lang.error_text(pejling_wire::ErrorCode::RateLimited))
                    }
                    None => None,
                };
                if let Some(message) = message {
                    form = form.kid(el("p").cls("error").attr("role", "alert").text(message));
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
                    .kid(
                        el("p")
                            .cls("error")
                            .id("number-error")
                            .attr("role", "alert"),
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
}

fn set_text(id: &str, text: &str) {
    if let Some(element) = document().get_element_by_id(id) {
        element.set_text_content(Some(text));
    }
}
