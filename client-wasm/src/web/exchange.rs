//! *Overblik*'s sharing and importing (`docs/exchange.md`): draws the
//! [`ExchangeModel`](crate::overview::ExchangeModel) of the overview page and talks to
//! `/api/exchange/…` with the host token, like the editor. The exchange file is fetched
//! with the token in a header and saved from memory (`save_file`); files to import are
//! read as bytes and sent one after the other.

use pejling_wire::{ImportedOrigin, Overview};
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;

use super::editor::{api, api_download, host_token, request_body};
use super::{App, E, button, document, el, focus_element, save_file, store, window, with_app};
use crate::overview::exchange::{
    ExchangeTexts, ORIGIN_KEY, confirm_remove, origin_facts, remove_path, removed_count, share_view,
};
use crate::overview::{ExchangeModel, OverviewModel};

impl App {
    fn exchange_mut(&mut self) -> Option<&mut ExchangeModel> {
        self.overview_mut().map(|model| &mut model.exchange)
    }

    /// The exchange's buttons (`exchange:…`); returns whether `name` was the exchange's.
    pub(super) fn exchange_on_action(&mut self, name: &str, arg: &str) -> bool {
        if name != "exchange" {
            return false;
        }
        let (verb, rest) = arg.split_once(':').unwrap_or((arg, ""));
        match verb {
            "share" => self.exchange_share(),
            "remove" => {
                if let Ok(index) = rest.parse::<usize>() {
                    self.exchange_remove(index);
                }
            }
            _ => {}
        }
        true
    }

    /// Files were picked (`data-change="exchange:import"`); returns whether `name` was
    /// the exchange's.
    pub(super) fn exchange_on_change(&mut self, name: &str) -> bool {
        if name != "exchange:import" {
            return false;
        }
        let files = document()
            .get_element_by_id("exchange-file")
            .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
            .and_then(|input| input.files());
        if let Some(files) = files {
            self.exchange_import((0..files.length()).filter_map(|i| files.get(i)).collect());
        }
        true
    }

    /// A key typed in the origin field: kept in the model and remembered, without a
    /// redraw (the caret stays).
    pub(super) fn exchange_on_input(&mut self, id: &str, value: &str) {
        if id != "exchange-origin" {
            return;
        }
        if let Some(exchange) = self.exchange_mut() {
            let was_problem = exchange.share_is_problem();
            let origin = exchange.set_origin(value).to_string();
            store(ORIGIN_KEY, &origin);
            // The hint to type an origin goes as soon as one is typed.
            if was_problem
                && !exchange.share_is_problem()
                && let Some(status) = document().get_element_by_id("share-status")
            {
                status.set_text_content(Some(""));
                let _ = status.set_attribute("class", "");
            }
        }
    }

    /// Whether a file dropped on the page is an import: the overview is showing.
    pub(super) fn exchange_takes_files(&self) -> bool {
        matches!(&self.page, super::Page::Console(console) if console.overview.is_some())
    }

    /// Asks for the exchange file of the overview shown and saves it under the server's
    /// name.
    fn exchange_share(&mut self) {
        let token = host_token(self);
        let Some(model) = self.overview_mut() else {
            return;
        };
        let Some(shown) = model.data.as_ref().map(|data| data.query.clone()) else {
            return;
        };
        let Some(body) = model.exchange.export_body(&shown) else {
            self.render();
            if self
                .exchange_mut()
                .is_some_and(|e| e.share == crate::overview::exchange::ShareStatus::NoOrigin)
            {
                focus_element("exchange-origin");
            }
            return;
        };
        self.render();
        wasm_bindgen_futures::spawn_local(async move {
            let answer = api_download("POST", "/api/exchange/export", &token, Some(body)).await;
            with_app(|app| {
                let Some(exchange) = app.exchange_mut() else {
                    return;
                };
                let answer = answer
                    .as_ref()
                    .map(|(status, text, disposition)| {
                        (*status, text.as_str(), disposition.as_deref())
                    })
                    .map_err(|_| ());
                if let Some(name) = exchange.exported(answer) {
                    let text = answer.map(|(_, text, _)| text).unwrap_or_default();
                    let saved = save_file(&name, text, "application/json").is_ok();
                    exchange.saved(saved.then_some(name));
                }
                app.render();
            });
        });
    }

    /// Sends each file in turn, writes a line for each, then asks for the overview and
    /// the list of origins again.
    pub(super) fn exchange_import(&mut self, files: Vec<web_sys::File>) {
        let token = host_token(self);
        let Some(exchange) = self.exchange_mut() else {
            return;
        };
        if files.is_empty() {
            return;
        }
        // Files picked while others are still sent are sent beside them.
        let first = exchange.importing(files.iter().map(|file| file.name()).collect());
        self.render();
        wasm_bindgen_futures::spawn_local(async move {
            for (index, file) in files.into_iter().enumerate() {
                let bytes = super::read_bytes(&file).await;
                let answer = match bytes {
                    Some(bytes) => {
                        request_body("POST", "/api/exchange/import", &token, Some(bytes.into()))
                            .await
                    }
                    None => Err(()),
                };
                with_app(|app| {
                    if let Some(exchange) = app.exchange_mut() {
                        let answer = answer
                            .as_ref()
                            .map(|(status, text)| (*status, text.as_str()))
                            .map_err(|_| ());
                        exchange.imported(first + index, answer);
                        app.render();
                    }
                });
            }
            with_app(|app| {
                app.overview_reload();
                app.exchange_list();
            });
        });
    }

    /// Asks for the origins imported so far.
    pub(super) fn exchange_list(&mut self) {
        let token = host_token(self);
        wasm_bindgen_futures::spawn_local(async move {
            let origins = api("GET", "/api/exchange/imports", &token, None)
                .await
                .ok()
                .filter(|(status, _)| *status == 200)
                .and_then(|(_, text)| serde_json::from_str::<Vec<ImportedOrigin>>(&text).ok());
            with_app(|app| {
                if let Some(exchange) = app.exchange_mut() {
                    exchange.listed(origins);
                    app.render();
                }
            });
        });
    }

    /// Removes an origin's sessions after asking, then asks for the overview and the list
    /// again.
    fn exchange_remove(&mut self, index: usize) {
        let token = host_token(self);
        let lang = self.lang;
        let Some(origin) = self
            .exchange_mut()
            .and_then(|e| e.origins.as_ref()?.get(index).cloned())
        else {
            return;
        };
        if !window()
            .confirm_with_message(&confirm_remove(&origin, lang))
            .unwrap_or(false)
        {
            return;
        }
        wasm_bindgen_futures::spawn_local(async move {
            let answer = api("DELETE", &remove_path(&origin.origin), &token, None).await;
            with_app(|app| {
                let Some(exchange) = app.exchange_mut() else {
                    return;
                };
                let answer = answer
                    .as_ref()
                    .map(|(status, text)| (*status, text.as_str()))
                    .map_err(|_| ());
                exchange.removed(&origin.origin, removed_count(answer));
                app.render();
                // The button pressed is gone: the keyboard goes to the section.
                focus_element("import-heading");
                app.overview_reload();
                app.exchange_list();
            });
        });
    }

    /// The two sections: sharing the overview shown, and importing other computers'
    /// files (with those imported so far).
    pub(super) fn render_exchange(&self, model: &OverviewModel, data: &Overview) -> [E; 2] {
        [
            self.render_share(&model.exchange, data),
            self.render_import(&model.exchange),
        ]
    }

    fn render_share(&self, exchange: &ExchangeModel, data: &Overview) -> E {
        let t = ExchangeTexts::of(self.lang);
        let view = share_view(data, self.lang);
        let mut share = button(t.share_button, "exchange:share")
            .id("share-file")
            .attr("aria-describedby", "share-contents share-status");
        if !view.enabled {
            share = share.attr("disabled", "");
        } else if exchange.share == crate::overview::exchange::ShareStatus::Fetching {
            share = share.attr("aria-disabled", "true");
        }
        let status = el("p")
            .id("share-status")
            .attr("role", "status")
            .attr("aria-live", "polite")
            .text(&exchange.share_status(self.lang));
        el("section")
            .id("share")
            .cls("overview-pair overview-form")
            .attr("aria-labelledby", "share-heading")
            .kid(el("h2").id("share-heading").text(t.share_heading))
            .kid(el("p").cls("hint").text(t.share_intro))
            .kid(
                el("label")
                    .attr("for", "exchange-origin")
                    .text(t.origin_label),
            )
            .kid(
                el("input")
                    .id("exchange-origin")
                    .attr("type", "text")
                    .attr("maxlength", "80")
                    .attr("autocomplete", "off")
                    .attr("aria-describedby", "exchange-origin-hint")
                    .attr_if(
                        exchange.share == crate::overview::exchange::ShareStatus::NoOrigin,
                        "aria-invalid",
                        "true",
                    )
                    .attr("value", &exchange.origin),
            )
            .kid(
                el("p")
                    .cls("hint")
                    .id("exchange-origin-hint")
                    .text(t.origin_hint),
            )
            .kid(
                el("ul")
                    .id("share-contents")
                    .kids(view.lines.iter().map(|line| el("li").text(line))),
            )
            .kid(el("div").cls("overview-buttons").kid(share))
            .kid(if exchange.share_is_problem() {
                status.cls("error")
            } else {
                status
            })
    }

    fn render_import(&self, exchange: &ExchangeModel) -> E {
        let t = ExchangeTexts::of(self.lang);
        let lang = self.lang;
        let picker = el("input")
            .id("exchange-file")
            .cls("visually-hidden")
            .attr("type", "file")
            .attr("multiple", "")
            .attr("accept", ".json,application/json")
            // Never disabled while files are sent (the keyboard would lose its place).
            .attr("data-change", "exchange:import");
        let results = el("div")
            .id("import-results")
            .attr("role", "status")
            .attr("aria-live", "polite")
            .kids(
                exchange
                    .import_lines(lang)
                    .into_iter()
                    .map(|(line, problem)| {
                        let item = el("p").text(&line);
                        if problem { item.cls("error") } else { item }
                    }),
            );
        let mut section = el("section")
            .id("import")
            .cls("overview-pair overview-form")
            .attr("aria-labelledby", "import-heading")
            .kid(
                el("h2")
                    .id("import-heading")
                    .attr("tabindex", "-1")
                    .text(t.import_heading),
            )
            .kid(el("p").cls("hint").text(t.import_intro))
            .kid(
                el("div")
                    .cls("overview-buttons")
                    .kid(
                        // The picker inside its label, so the label shows the focus.
                        el("label")
                            .cls("button secondary file-button")
                            .text(t.import_button)
                            .kid(picker),
                    )
                    .kid(el("p").cls("hint drop-zone").text(t.drop_hint)),
            )
            .kid(results)
            // Styled as the overview's other headings below an h2.
            .kid(
                el("h3")
                    .id("origins-heading")
                    .cls("overview-set")
                    .text(t.origins_heading),
            );
        section = match &exchange.origins {
            None if exchange.origins_failed => {
                section.kid(el("p").cls("error").text(t.origins_failed))
            }
            None => section,
            Some(origins) if origins.is_empty() => section.kid(
                el("p")
                    .id("no-imported-origins")
                    .cls("hint")
                    .text(t.no_origins),
            ),
            Some(origins) => section.kid(el("div").id("imported-origins").kids(
                origins.iter().enumerate().map(|(i, origin)| {
                    el("div")
                        .cls("set-item")
                        .attr("data-origin", &origin.origin)
                        .kid(el("span").cls("set-title").text(&origin.origin))
                        .kid(
                            el("span")
                                .cls("set-facts")
                                .text(&origin_facts(origin, lang)),
                        )
                        .kid(
                            el("span").cls("set-buttons").kid(
                                button(t.remove, &format!("exchange:remove:{i}"))
                                    .cls("secondary small")
                                    .attr(
                                        "aria-label",
                                        &format!("{}: {}", t.remove, origin.origin),
                                    ),
                            ),
                        )
                }),
            )),
        };
        if exchange.origins.is_some() && exchange.origins_failed {
            section = section.kid(el("p").cls("error").text(t.origins_failed));
        }
        section
    }
}
