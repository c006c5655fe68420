//! The projector screen: draws the DOM-free `crate::screen` model, redrawing only when
//! its view changes, fits the text to the window, and turns keys (a presentation remote)
//! into the engine's next and back steps. Compiled into the staff module (feature
//! `staff`).

use pejling_wire::KeyFigure;
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

use super::{App, E, Page, document, el, public_url, show_chart, window};
use crate::i18n::{Language, Texted};
use crate::screen::{KeyOutcome, ResultView, ScreenModel, ScreenView};

#[derive(Default)]
pub(super) struct ScreenState {
    pub(super) code: String,
    pub(super) token: String,
    pub(super) model: ScreenModel,
    /// The view drawn last: the page is redrawn only when it changes, so the chart is not
    /// fetched again on every tally.
    pub(super) drawn: Option<ScreenView>,
}

impl App {
    pub(super) fn on_screen_key(&mut self, key: &str) -> bool {
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
                waiting,
                hint,
                state,
            } => {
                let head_el = el("header")
                    .cls("screen-head")
                    .kid(
                        el("p")
                            .cls(if head.rehearsal {
                                "progress rehearsal-mark"
                            } else {
                                "progress"
                            })
                            .text(&head.progress),
                    )
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
                    .kid(self.screen_result(result, lang))
                    .kids(waiting.as_ref().map(|waiting| {
                        el("p")
                            .cls("waiting-note")
                            .id("waiting-note")
                            .attr("role", "status")
                            .text(waiting)
                    }))
                    .kid(foot)
            }
        }
    }

    fn key_figures(figures: &[KeyFigure]) -> E {
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

    fn screen_result(&self, result: &ResultView, lang: Language) -> E {
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
                    section = section.kid(
                        el("div").cls("chart-box").kid(
                            // The address gets the box's size once the page is laid out
                            // (`fit_screen`), so the chart is drawn at the size shown.
                            el("img")
                                .cls("comparison-chart")
                                .attr("data-src", chart)
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
                let abstained = bars.abstained_labels();
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

    /// Draws the screen if its view changed since the last drawing.
    pub(super) fn render_screen_if_changed(&mut self, root: &web_sys::Element) {
        let Page::Screen(screen) = &self.page else {
            return;
        };
        let view = screen.model.view();
        if screen.drawn.as_ref() == Some(&view) {
            return;
        }
        let token = screen.token.clone();
        let content = self.render_screen(screen, &view);
        if let Page::Screen(screen) = &mut self.page {
            screen.drawn = Some(view);
        }
        root.replace_children_with_node_1(&content.0);
        fit_screen(&token);
    }
}

/// Shrinks the screen's texts until the page fits the viewport: a long question or a long
/// national-figure description must not push the result off a projector that cannot
/// scroll. Each text has a floor (the sizes readable at the back of the room, smaller for
/// the lines meant for reading up close). The chart of the guesses asks for a fifth of the
/// height; it is left out when the texts at their floors leave it no room, before the key
/// figures shrink.
fn fit_screen(token: &str) {
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
    let shrink = |floors: &[(&str, f64)]| {
        for &(selector, floor) in floors {
            let Ok(elements) = document().query_selector_all(selector) else {
                continue;
            };
            for _ in 0..40 {
                if !overflowing() {
                    return;
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
    };
    // First the texts around the figures, so the chart of the guesses (it asks for a fifth
    // of the height) fits beside the big figures; if it still does not, it is left out
    // before the big figures shrink.
    let texts = [
        (".answered", 24.0),
        ("#screen-question", 28.0),
        (".figure-detail", 20.0),
        ("#verdict", 28.0),
        (".figure-source", 14.0),
        (".figure-label", 28.0),
        (".bar-label", 28.0),
        (".bar-value", 28.0),
    ];
    shrink(&texts);
    if overflowing()
        && let Some(chart) = find(".chart-box")
    {
        // Without the chart there is room again: the texts start from their own size.
        let _ = chart.style().set_property("display", "none");
        for (selector, _) in texts {
            if let Ok(elements) = document().query_selector_all(selector) {
                for i in 0..elements.length() {
                    if let Some(element) = elements
                        .item(i)
                        .and_then(|n| n.dyn_into::<HtmlElement>().ok())
                    {
                        let _ = element.style().remove_property("font-size");
                    }
                }
            }
        }
        shrink(&texts);
    }
    shrink(&[(".figure-value", 64.0)]);
    if let (Some(chart_box), Some(image)) = (find(".chart-box"), find(".chart-box img"))
        && let Some(base) = image.get_attribute("data-src")
        && chart_box.client_width() > 0
        && chart_box.client_height() > 0
    {
        // With the token in a header: an `<img src>` would put it in an address.
        let path = format!(
            "{base}&w={}&h={}",
            chart_box.client_width(),
            chart_box.client_height()
        );
        show_chart(&image, &path, token);
    }
}
