//! The console's *Overblik* page (issue 17): draws [`OverviewModel`] and asks the server's
//! `GET /api/overview` with the host token whenever the period or a filter changes. The
//! figures come from the server; this writes them as `overview.rs` says.

use pejling_wire::{Overview, OverviewPair, OverviewQuery};
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

use super::editor::{api, host_token};
use super::{App, E, Page, button, document, el, save_file, stored, with_app};
use crate::overview::exchange::ORIGIN_KEY;
use crate::overview::{
    Day, ExchangeModel, OverviewModel, OverviewTexts, Period, ReportStatus, origin_rows, pair_view,
    period_text, reach_cells, reach_tables,
};

/// Today, by the browser's clock.
fn today() -> Day {
    let now = js_sys::Date::new_0();
    Day {
        year: now.get_full_year() as i32,
        month: now.get_month() + 1,
        day: now.get_date(),
    }
}

impl App {
    pub(super) fn overview_mut(&mut self) -> Option<&mut OverviewModel> {
        match &mut self.page {
            Page::Console(console) => console.overview.as_deref_mut(),
            _ => None,
        }
    }

    fn overview_texts(&self) -> &'static OverviewTexts {
        OverviewTexts::of(self.lang)
    }

    /// The overview's buttons (`overview:…`); returns whether `name` was the overview's.
    pub(super) fn overview_on_action(&mut self, name: &str, arg: &str) -> bool {
        if name != "overview" {
            return false;
        }
        let (verb, rest) = arg.split_once(':').unwrap_or((arg, ""));
        match verb {
            "open" => {
                if let Page::Console(console) = &mut self.page {
                    let mut model = OverviewModel::new(today());
                    model.exchange = ExchangeModel::new(stored(ORIGIN_KEY));
                    console.overview = Some(Box::new(model));
                }
                self.overview_load();
                self.exchange_list();
                self.render();
                focus_heading();
            }
            "close" => {
                if let Page::Console(console) = &mut self.page {
                    console.overview = None;
                }
                self.render();
                if let Some(button) = document()
                    .get_element_by_id("open-overview")
                    .and_then(|e| e.dyn_into::<HtmlElement>().ok())
                {
                    let _ = button.focus();
                }
            }
            "period" => {
                let Some(period) = Period::from_code(rest) else {
                    return true;
                };
                if let Some(model) = self.overview_mut() {
                    model.choose_period(period, today());
                }
                self.overview_load();
                self.render();
            }
            "print" => {
                let _ = super::window().print();
            }
            "report" => self.overview_report(),
            _ => {}
        }
        true
    }

    /// A field of the overview's form changed (`data-change="overview:FIELD"`); returns
    /// whether it was the overview's.
    pub(super) fn overview_on_change(&mut self, name: &str, value: &str) -> bool {
        let Some(field) = name.strip_prefix("overview:") else {
            return false;
        };
        let changed = self
            .overview_mut()
            .is_some_and(|model| model.set_field(field, value));
        if changed {
            self.overview_load();
            self.render();
        }
        true
    }

    /// Fetches the period report of the current query with the host token in a header
    /// (a link would carry the token in its address) and saves it as a file.
    fn overview_report(&mut self) {
        let token = host_token(self);
        let lang = self.lang;
        let Some(model) = self.overview_mut() else {
            return;
        };
        if model.report == ReportStatus::Fetching {
            return;
        }
        model.report = ReportStatus::Fetching;
        let (path, name) = model.report_request(lang);
        self.render();
        wasm_bindgen_futures::spawn_local(async move {
            let saved = match api("GET", &path, &token, None).await {
                Ok((200, html)) => save_file(&name, &html, "text/html;charset=utf-8").is_ok(),
                _ => false,
            };
            with_app(|app| {
                if let Some(model) = app.overview_mut() {
                    model.report = if saved {
                        ReportStatus::Idle
                    } else {
                        ReportStatus::Failed
                    };
                    app.render();
                }
            });
        });
    }

    /// Asks the server for the overview again (after an import or a removal).
    pub(super) fn overview_reload(&mut self) {
        self.overview_load();
        self.render();
    }

    /// Asks the server for the overview of the current query.
    fn overview_load(&mut self) {
        let token = host_token(self);
        let Some(model) = self.overview_mut() else {
            return;
        };
        model.requested();
        let asked: OverviewQuery = model.query.clone();
        let path = model.path();
        wasm_bindgen_futures::spawn_local(async move {
            let answer = api("GET", &path, &token, None)
                .await
                .ok()
                .filter(|(status, _)| *status == 200)
                .and_then(|(_, text)| serde_json::from_str::<Overview>(&text).ok());
            with_app(|app| {
                let shown = app
                    .overview_mut()
                    .is_some_and(|model| model.loaded(answer, &asked));
                if shown {
                    app.render();
                }
            });
        });
    }

    pub(super) fn render_overview(&self, model: &OverviewModel) -> E {
        let t = self.overview_texts();
        let mut main = el("main").cls("console overview").kid(
            el("div")
                .cls("overview-top")
                .kid(
                    el("h1")
                        .id("overview-heading")
                        .attr("tabindex", "-1")
                        .text(t.title),
                )
                .kid(
                    el("div")
                        .cls("overview-buttons")
                        .kid({
                            let report = button(t.report, "overview:report").id("overview-report");
                            if model.report == ReportStatus::Fetching {
                                report.attr("aria-disabled", "true")
                            } else {
                                report
                            }
                        })
                        .kid(button(t.print, "overview:print").cls("secondary"))
                        .kid(
                            button(t.back, "overview:close")
                                .cls("secondary")
                                .id("overview-back"),
                        ),
                ),
        );
        main = main
            .kid(el("p").cls("hint").text(t.intro))
            .kid(self.overview_form(model));
        let status = el("p")
            .id("overview-status")
            .attr("role", "status")
            .attr("aria-live", "polite");
        main = main.kid(if model.failed {
            status.cls("error").text(t.failed)
        } else if model.report == ReportStatus::Failed {
            status.cls("error").text(t.report_failed)
        } else if model.loading {
            status.text(t.loading)
        } else if model.report == ReportStatus::Fetching {
            status.text(t.report_fetching)
        } else {
            status
        });
        if let Some(data) = &model.data {
            main = main.kid(self.overview_figures(model, data));
        }
        main
    }

    fn overview_form(&self, model: &OverviewModel) -> E {
        let t = self.overview_texts();
        let q = &model.query;
        let date = |id: &str, field: &str, label: &str, value: &Option<String>| {
            el("div")
                .cls("overview-field")
                .kid(el("label").attr("for", id).text(label))
                .kid(
                    el("input")
                        .id(id)
                        .attr("type", "date")
                        .attr("data-change", &format!("overview:{field}"))
                        .attr("value", value.as_deref().unwrap_or_default()),
                )
        };
        let choices = model
            .data
            .as_ref()
            .map(|d| d.choices.clone())
            .unwrap_or_default();
        let select = |id: &str,
                      field: &str,
                      label: &str,
                      options: Vec<(String, String)>,
                      current: &Option<String>| {
            let current = current.clone().unwrap_or_default();
            let mut options = options;
            // A chosen value the period no longer has stays choosable.
            if !current.is_empty() && !options.iter().any(|(value, _)| *value == current) {
                options.push((current.clone(), current.clone()));
            }
            el("div")
                .cls("overview-field")
                .kid(el("label").attr("for", id).text(label))
                .kid(
                    el("select")
                        .id(id)
                        .attr("data-change", &format!("overview:{field}"))
                        .kid(
                            el("option")
                                .attr("value", "")
                                .attr_if(current.is_empty(), "selected", "")
                                .text(t.any),
                        )
                        .kids(options.into_iter().map(|(value, text)| {
                            el("option")
                                .attr_if(value == current, "selected", "")
                                .attr("value", &value)
                                .text(&text)
                        })),
                )
        };
        let same = |s: &str| (s.to_string(), s.to_string());
        // Compact, so the figures start on the first screen of a laptop.
        el("div")
            .cls("overview-form")
            .kid(
                el("div")
                    .cls("overview-periods")
                    .attr("role", "group")
                    .attr("aria-label", t.labels.period)
                    .kid(
                        el("span")
                            .cls("overview-period-label")
                            .text(&format!("{}:", t.labels.period)),
                    )
                    .kid(button(t.this_year, "overview:period:this-year").cls("secondary small"))
                    .kid(button(t.last_year, "overview:period:last-year").cls("secondary small"))
                    .kid(button(t.all_time, "overview:period:all").cls("secondary small")),
            )
            .kid(
                el("div")
                    .cls("overview-row")
                    .kid(date("overview-from", "from", t.from_label, &q.from))
                    .kid(date("overview-to", "to", t.to_label, &q.to))
                    .kid(select(
                        "overview-school",
                        "school",
                        t.labels.school,
                        choices.schools.iter().map(|s| same(s)).collect(),
                        &q.school,
                    ))
                    .kid(select(
                        "overview-grade",
                        "grade",
                        t.labels.grade,
                        choices.grades.iter().map(|s| same(s)).collect(),
                        &q.grade,
                    ))
                    .kid(select(
                        "overview-set",
                        "set",
                        t.labels.set,
                        choices
                            .sets
                            .iter()
                            .map(|s| (s.id.clone(), s.title.clone()))
                            .collect(),
                        &q.set,
                    )),
            )
    }

    fn overview_figures(&self, model: &OverviewModel, data: &Overview) -> E {
        let t = self.overview_texts();
        let lang = self.lang;
        let total = &data.total;
        let mut section = el("div")
            .id("overview-figures")
            .kid(el("h2").id("reach-heading").text(&format!(
                "{} · {}",
                t.reach_heading,
                period_text(&data.query, lang)
            )));
        if total.sessions + total.parent_sessions == 0 {
            section = section.kid(el("p").id("overview-nothing").text(t.labels.nothing));
        } else {
            let key_figures = [
                (total.sessions, t.labels.columns[0]),
                (total.classes, t.labels.columns[1]),
                (total.pupils, t.labels.columns[2]),
                (total.parent_sessions, t.labels.columns[3]),
                (total.parents, t.labels.columns[4]),
                (total.answers, t.labels.columns[5]),
            ];
            section = section.kid(el("dl").cls("reach-total").id("reach-total").kids(
                key_figures.into_iter().map(|(n, label)| {
                    el("div")
                        .kid(el("dt").text(label))
                        .kid(el("dd").text(&n.to_string()))
                }),
            ));
            let (months, schools) = reach_tables(data, lang);
            let total_row = reach_cells(total, t.labels.total.to_string());
            section = section
                .kid(reach_table(
                    "reach-months",
                    t.labels.by_month,
                    t.labels.month_column,
                    t,
                    &months,
                    &total_row,
                ))
                .kid(reach_table(
                    "reach-schools",
                    t.labels.by_school,
                    t.labels.school_column,
                    t,
                    &schools,
                    &total_row,
                ));
            // Only when sessions of other computers are imported.
            let origins = origin_rows(data, lang);
            if !origins.is_empty() {
                section = section.kid(reach_table(
                    "reach-origins",
                    t.labels.by_origin,
                    t.labels.origin_column,
                    t,
                    &origins,
                    &total_row,
                ));
            }
        }
        section = section.kid(el("p").cls("hint").text(t.reach_note));
        if data.rehearsals > 0 {
            section = section.kid(
                el("p").cls("hint").id("overview-rehearsals").text(
                    &t.rehearsals_note
                        .replace("{n}", &data.rehearsals.to_string()),
                ),
            );
        }
        // Sharing with the coordinator and importing other computers' files: below the
        // reach they are about.
        section = section.kids(self.render_exchange(model, data));
        if data.follow_ups.classes > 0 {
            let header = el("tr").kids(
                t.follow_up_columns
                    .iter()
                    .map(|column| el("th").attr("scope", "col").text(column)),
            );
            let rows = data.follow_ups.pairs.iter().map(|count| {
                el("tr")
                    .kid(
                        el("th")
                            .attr("scope", "row")
                            .text(&format!("{}: {}", count.set_title, count.question)),
                    )
                    .kids(
                        [
                            count.shrank,
                            count.grew,
                            count.no_clear_change,
                            count.none_before,
                            count.too_few,
                        ]
                        .map(|n| el("td").text(&n.to_string())),
                    )
            });
            section = section
                .kid(
                    el("h2")
                        .id("follow-ups-heading")
                        .text(t.labels.follow_ups_heading),
                )
                .kid(el("p").cls("hint").text(&t.follow_ups_intro.replace(
                    "{classes}",
                    &crate::overview::classes_text(data.follow_ups.classes as usize, lang),
                )))
                .kid(
                    // In a box that scrolls sideways on a phone, like the reach tables.
                    el("div")
                        .cls("table-box")
                        .attr("tabindex", "0")
                        .attr("role", "region")
                        .attr("aria-label", t.labels.follow_ups_heading)
                        .kid(
                            el("table")
                                .id("overview-follow-ups")
                                .cls("reach")
                                .kid(el("thead").kid(header))
                                .kid(el("tbody").kids(rows)),
                        ),
                );
        }
        section = section
            .kid(
                el("h2")
                    .id("pairs-heading")
                    .text(t.labels.questions_heading),
            )
            .kid(
                el("p").cls("hint").text(
                    &t.questions_intro
                        .replace("{n}", &data.min_answers.to_string()),
                ),
            );
        if data.pairs.is_empty() {
            return section.kid(el("p").id("overview-no-pairs").text(t.labels.no_pairs));
        }
        // Grouped by set, in the order the server gives.
        let mut sets: Vec<(&str, Vec<&OverviewPair>)> = Vec::new();
        for pair in &data.pairs {
            match sets.last_mut() {
                Some((title, pairs)) if *title == pair.set_title => pairs.push(pair),
                _ => sets.push((&pair.set_title, vec![pair])),
            }
        }
        for (title, pairs) in sets {
            section = section.kid(el("h3").cls("overview-set").text(title)).kids(
                pairs
                    .into_iter()
                    .map(|pair| self.overview_pair(pair, data.min_answers)),
            );
        }
        section
    }

    fn overview_pair(&self, pair: &OverviewPair, min_answers: u32) -> E {
        let t = self.overview_texts();
        let view = pair_view(pair, min_answers, self.lang);
        let mut figures = el("dl").cls("pair-figures").kids(
            view.figures
                .iter()
                .map(|(what, value)| el("div").kid(el("dt").text(what)).kid(el("dd").text(value))),
        );
        figures = figures.kid(
            el("div")
                .cls("pair-verdict")
                .kid(el("dt").text(t.labels.pooled_pattern))
                .kid(el("dd").kid(el("strong").text(&view.verdict))),
        );
        if let Some(spread) = &view.spread {
            figures = figures.kid(
                el("div")
                    .kid(el("dt").text(t.spread_label))
                    .kid(el("dd").text(spread)),
            );
        }
        if let Some(patterns) = &view.patterns {
            figures = figures.kid(
                el("div")
                    .kid(el("dt").text(t.labels.patterns_label))
                    .kid(el("dd").text(patterns)),
            );
        }
        el("section")
            .cls("overview-pair")
            .attr(
                "data-pair",
                &format!("{}/{}", pair.set_id, pair.perceived_id),
            )
            .kid(el("h4").text(&view.question))
            .kid(el("p").cls("hint").text(&view.perceived))
            .kid(figures)
            .kid(el("p").cls("pair-classes").text(&view.classes))
            .kids(
                view.left_out
                    .iter()
                    .map(|line| el("p").cls("pair-left-out").text(line)),
            )
    }
}

/// A reach table with its total in the foot, in a box that scrolls sideways on a phone.
fn reach_table(
    id: &str,
    caption: &str,
    first_column: &str,
    t: &OverviewTexts,
    rows: &[[String; 7]],
    total: &[String; 7],
) -> E {
    let header = std::iter::once(first_column).chain(t.labels.columns);
    let row = |cells: &[String; 7], cell: &str| {
        el("tr").kids(cells.iter().enumerate().map(|(i, text)| {
            if i == 0 {
                el("th").attr("scope", "row").text(text)
            } else {
                el(cell).text(text)
            }
        }))
    };
    el("div")
        .cls("table-box")
        .attr("tabindex", "0")
        .attr("role", "region")
        .attr("aria-label", caption)
        .kid(
            el("table")
                .id(id)
                .cls("reach")
                .kid(el("caption").text(caption))
                .kid(el("thead").kid(
                    el("tr").kids(header.map(|text| el("th").attr("scope", "col").text(text))),
                ))
                .kid(el("tbody").kids(rows.iter().map(|cells| row(cells, "td"))))
                .kid(el("tfoot").kid(row(total, "td"))),
        )
}

/// Moves the keyboard to the page's heading, so a screen reader says where it is.
fn focus_heading() {
    if let Some(heading) = document()
        .get_element_by_id("overview-heading")
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
    {
        let _ = heading.focus();
        // The page starts at its top, with the language button in view.
        super::window().scroll_to_with_x_and_y(0.0, 0.0);
    }
}
