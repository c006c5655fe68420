//! Every text the browser client shows, in Danish (the default) and English. Question
//! texts come from the question set in its own language; only the chrome is here.

pub use pejling_wire::Language;

/// The client's own texts in a language (the language itself, and how numbers are
/// written in it, are `pejling_wire::Language`, shared with the server).
pub trait Texted {
    fn texts(self) -> &'static Texts;

    /// What an error from the server means, for the person in front of the screen (the
    /// server's own message is for developers and logs, in English).
    fn error_text(self, code: pejling_wire::ErrorCode) -> &'static str;
}

impl Texted for Language {
    fn texts(self) -> &'static Texts {
        match self {
            Language::Da => &DA,
            Language::En => &EN,
        }
    }

    fn error_text(self, code: pejling_wire::ErrorCode) -> &'static str {
        use pejling_wire::ErrorCode as E;
        match (self, code) {
            (Language::Da, E::BadToken) => DA.bad_token,
            (Language::En, E::BadToken) => EN.bad_token,
            (Language::Da, E::UnknownSession) => {
                "Ingen igangværende session har den kode. Er serveren genstartet, så åbn skærmen igen fra facilitator-siden."
            }
            (Language::En, E::UnknownSession) => {
                "No running session has that code. If the server was restarted, open the screen again from the facilitator page."
            }
            (Language::Da, E::SessionEnded) => DA.session_ended_error,
            (Language::En, E::SessionEnded) => EN.session_ended_error,
            (Language::Da, E::UnknownSet) => "Spørgesættet findes ikke (længere) på serveren.",
            (Language::En, E::UnknownSet) => {
                "That question set is not (or no longer) on the server."
            }
            (Language::Da, E::NoSession) => "Vælg eller start en session først.",
            (Language::En, E::NoSession) => "Choose or start a session first.",
            (Language::Da, E::InvalidAction) => "Det trin kan ikke tages lige nu.",
            (Language::En, E::InvalidAction) => "That step cannot be taken right now.",
            (Language::Da, E::InvalidFollowUp) => {
                "Sessionen kan ikke være en opfølgning på den valgte: den skal være en tidligere elevsession (ikke en øvelse), og de to spørgesæt skal have mindst ét spørgsmålspar til fælles."
            }
            (Language::En, E::InvalidFollowUp) => {
                "This session cannot follow up the one chosen: it must be an earlier pupils' session (not a rehearsal), and the two sets must share at least one question pair."
            }
            (Language::Da, E::InvalidLink) => {
                "Elevsessionerne kan ikke kobles på: de skal være afsluttede og have brugt et spørgesæt, forældresættet spørger til."
            }
            (Language::En, E::InvalidLink) => {
                "Those pupil sessions cannot be linked: they must have ended and used a set this parents' set asks about."
            }
            (Language::Da, E::RateLimited) => {
                "For mange forsøg fra denne enhed. Vent et par minutter, og prøv igen."
            }
            (Language::En, E::RateLimited) => {
                "Too many tries from this device. Wait a few minutes and try again."
            }
            (Language::Da, E::Internal) => {
                "Serveren kunne ikke gemme eller læse data. Prøv igen; hjælper det ikke, så genstart pejling."
            }
            (Language::En, E::Internal) => {
                "The server could not store or read data. Try again; if that does not help, restart pejling."
            }
            (Language::Da, E::UnsupportedVersion) => {
                "Siden og serveren passer ikke sammen. Genindlæs siden."
            }
            (Language::En, E::UnsupportedVersion) => {
                "This page and the server do not match. Reload the page."
            }
            (Language::Da, E::QuestionNotOpen) => "Spørgsmålet tager ikke imod svar lige nu.",
            (Language::En, E::QuestionNotOpen) => "The question is not taking answers right now.",
            (Language::Da, _) => "Noget gik galt mellem siden og serveren. Genindlæs siden.",
            (Language::En, _) => {
                "Something went wrong between this page and the server. Reload the page."
            }
        }
    }
}

pub struct Texts {
    /// Label of the button that switches to this language.
    pub switch_to: &'static str,
    pub connecting: &'static str,
    pub reconnecting: &'static str,
    pub enter_code: &'static str,
    pub code_label: &'static str,
    pub join: &'static str,
    pub unknown_code: &'static str,
    pub lobby: &'static str,
    pub anonymous_note: &'static str,
    pub thanks: &'static str,
    pub thanks_note: &'static str,
    pub change_answer: &'static str,
    pub send: &'static str,
    pub sending: &'static str,
    pub wait_next: &'static str,
    pub ended: &'static str,
    pub question_of: &'static str,
    pub percent_label: &'static str,
    pub number_label: &'static str,
    pub less: &'static str,
    pub more: &'static str,
    pub session_ended_error: &'static str,
    // Screen and console.
    pub join_at: &'static str,
    pub code_word: &'static str,
    pub participants: &'static str,
    pub answered: &'static str,
    pub hidden_until_reveal: &'static str,
    /// "For få svar": fewer answers than the anonymity minimum; `{n}` is the minimum.
    pub too_few: &'static str,
    /// Newer answers the room's figures leave out (`QuestionTally::waiting`): `{n}` how
    /// many, `{k}` how many it takes to update them; the singular form for one.
    pub waiting_one: &'static str,
    pub waiting_many: &'static str,
    pub no_answers: &'static str,
    pub mean: &'static str,
    pub median: &'static str,
    pub abstained: &'static str,
    pub waiting_for_start: &'static str,
    pub session_over: &'static str,
    pub host_token_label: &'static str,
    pub log_in: &'static str,
    pub bad_token: &'static str,
    pub pick_set: &'static str,
    pub label_label: &'static str,
    pub label_placeholder: &'static str,
    pub label_hint: &'static str,
    pub describe_legend: &'static str,
    pub describe_hint: &'static str,
    pub school_label: &'static str,
    pub grade_label: &'static str,
    pub class_label: &'static str,
    pub term_label: &'static str,
    pub school_placeholder: &'static str,
    pub grade_placeholder: &'static str,
    pub class_placeholder: &'static str,
    pub term_placeholder: &'static str,
    /// "7. klasse": a grade that is a number; `{n}` is the number.
    pub grade_of: &'static str,
    pub term_spring: &'static str,
    pub term_autumn: &'static str,
    pub open_overview: &'static str,
    pub overview_hint: &'static str,
    pub start_session: &'static str,
    pub earlier_sessions: &'static str,
    pub open_session: &'static str,
    pub no_sessions: &'static str,
    pub rehearse: &'static str,
    pub rehearse_hint: &'static str,
    pub rehearsal_label: &'static str,
    pub linked_to: &'static str,
    pub follow_up_of: &'static str,
    pub follow_up_label: &'static str,
    pub follow_up_none: &'static str,
    pub follow_up_hint: &'static str,
    pub rehearsal_badge: &'static str,
    pub rehearsal_not_exported: &'static str,
    pub first_steps_title: &'static str,
    pub first_steps: [&'static str; 3],
    pub hidden_until_comparison: &'static str,
    pub hidden_guesses: &'static str,
    pub main_open_first: &'static str,
    pub main_close: &'static str,
    pub reveal_guesses: &'static str,
    pub reveal_actual: &'static str,
    pub reveal_pupils: &'static str,
    pub reveal_conclusion: &'static str,
    pub confirm_no_links: &'static str,
    pub confirm_end_key: &'static str,
    pub session_ended_notice: &'static str,
    pub audience_pupils: &'static str,
    pub audience_parents: &'static str,
    pub number_out_of_range: &'static str,
    pub reveal_complete: &'static str,
    pub main_next: &'static str,
    pub action_reveal_all: &'static str,
    pub action_conceal: &'static str,
    pub key_hint: &'static str,
    pub back_word: &'static str,
    pub blank_word: &'static str,
    pub open_screen_readonly: &'static str,
    pub action_open: &'static str,
    pub action_close: &'static str,
    pub action_reveal: &'static str,
    pub action_next: &'static str,
    pub action_previous: &'static str,
    pub action_end: &'static str,
    pub confirm_end: &'static str,
    pub open_screen: &'static str,
    pub comparison_alt: &'static str,
    pub link_sessions: &'static str,
    pub facilitator_note: &'static str,
    pub with_phones: &'static str,
    pub with_clickers: &'static str,
    pub clicker_receiver: &'static str,
    pub devices: &'static str,
    pub bad_lines: &'static str,
    pub link_hint: &'static str,
    pub download: &'static str,
    pub report_html: &'static str,
    pub results_csv: &'static str,
    pub download_fetching: &'static str,
    pub download_failed: &'static str,
    pub back_to_sets: &'static str,
    pub connected: &'static str,
    pub status_pending: &'static str,
    pub status_open: &'static str,
    pub status_closed: &'static str,
    pub status_revealed: &'static str,
    pub phase_lobby: &'static str,
    pub phase_ended: &'static str,
    pub questions_heading: &'static str,
}

pub static DA: Texts = Texts {
    switch_to: "Dansk",
    connecting: "Forbinder…",
    reconnecting: "Forbinder igen… Dine svar er gemt.",
    enter_code: "Skriv koden fra tavlen",
    code_label: "Kode",
    join: "Deltag",
    unknown_code: "Koden findes ikke. Tjek den og prøv igen.",
    lobby: "Du er med! Vent på, at første spørgsmål starter.",
    anonymous_note: "Du er anonym: ingen kan se, hvad du svarer.",
    thanks: "Tak for dit svar",
    thanks_note: "Vent på det næste spørgsmål.",
    change_answer: "Skift svar",
    send: "Send svar",
    sending: "Sender…",
    wait_next: "Spørgsmålet er lukket. Vent på det næste.",
    ended: "Tak fordi du var med! Sessionen er slut.",
    question_of: "Spørgsmål {n} af {count}",
    percent_label: "Procent",
    number_label: "Tal",
    less: "Mindre",
    more: "Mere",
    session_ended_error: "Sessionen er slut.",
    join_at: "Deltag på",
    code_word: "Kode",
    participants: "deltagere",
    answered: "har svaret",
    hidden_until_reveal: "Svarene vises, når spørgsmålet er lukket og resultatet vises.",
    too_few: "For få svar til at vise resultatet: der skal mindst {n} svar til, så ingen kan genkendes.",
    waiting_one: "1 nyt svar er ikke med endnu. Tallene skifter først, når et spørgsmål har {k} nye svar, så ingen kan genkendes.",
    waiting_many: "{n} nye svar er ikke med endnu. Tallene skifter først, når et spørgsmål har {k} nye svar, så ingen kan genkendes.",
    no_answers: "Ingen svar endnu",
    mean: "Gennemsnit",
    median: "Median",
    abstained: "Ikke med i tallene",
    waiting_for_start: "Scan koden med telefonen for at være med",
    session_over: "Tak for i dag!",
    host_token_label: "Facilitator-nøgle",
    log_in: "Log ind",
    bad_token: "Nøglen passer ikke. Brug linket, serveren viste ved start.",
    pick_set: "Spørgesæt",
    label_label: "Betegnelse (valgfri)",
    label_placeholder: "fx Temadag om alkohol",
    label_hint: "Uden betegnelse hedder sessionen efter klasse og skole.",
    describe_legend: "Klassen (valgfrit)",
    describe_hint: "Bruges i Overblik til at tælle klasser og elever. Vælg gerne en tidligere værdi, så samme skole staves ens. Skriv aldrig noget om en elev.",
    school_label: "Skole",
    grade_label: "Klassetrin",
    class_label: "Klasse",
    term_label: "Periode",
    school_placeholder: "fx Nordskolen",
    grade_placeholder: "fx 7",
    class_placeholder: "fx 7.b",
    term_placeholder: "fx forår 2027",
    grade_of: "{n}. klasse",
    term_spring: "forår",
    term_autumn: "efterår",
    open_overview: "Overblik",
    overview_hint: "Hvor mange klasser, elever og forældre I har nået, og hvad de svarede — samlet over sessionerne i en periode.",
    start_session: "Start session",
    earlier_sessions: "Tidligere sessioner",
    open_session: "Åbn",
    no_sessions: "Ingen sessioner endnu.",
    rehearse: "Øv med 25 elever",
    rehearse_hint: "Prøv en hel lektion alene dagen før: 25 simulerede elever svarer på spørgsmålene. En øvelse eksporteres aldrig og kan ikke kobles til et forældremøde.",
    rehearsal_label: "Øvelse",
    linked_to: "koblet til",
    follow_up_of: "opfølgning på",
    follow_up_label: "Opfølgning på en tidligere session (valgfri)",
    follow_up_none: "(ingen – en første måling)",
    follow_up_hint: "Samme klasse med det samme spørgesæt (eller et med de samme spørgsmål): rapporten viser hvert spørgsmålspar før og nu, og om misforståelsen er blevet mindre.",
    rehearsal_badge: "Øvelse · 25 simulerede elever — ikke rigtige svar",
    rehearsal_not_exported: "En øvelse kan ikke hentes som rapport: svarene er simulerede.",
    first_steps_title: "Sådan bruger du pejling",
    first_steps: [
        "Vælg et spørgesæt, skriv klassen, og start sessionen.",
        "Åbn projektor-visningen på skærmen. Eleverne scanner QR-koden med telefonen — de skal være på samme netværk som computeren.",
        "Klik dig frem: spørgsmålet, elevernes gæt, klassens egne svar og landstallene.",
    ],
    hidden_until_comparison: "Svarene vises, når I har gættet.",
    hidden_guesses: "Gættene vises, når alle har gættet.",
    main_open_first: "Start: åbn første spørgsmål",
    main_close: "Luk for svar",
    reveal_guesses: "Vis gættene",
    reveal_actual: "Vis jeres svar",
    reveal_pupils: "Vis elevernes svar",
    reveal_conclusion: "Vis konklusion",
    confirm_no_links: "Ingen klasser er valgt. Forældrenes svar kan så kun sammenlignes med landstal, ikke med elevernes egne svar. Start alligevel?",
    confirm_end_key: "Tryk → igen for at afslutte sessionen (← for at fortryde).",
    session_ended_notice: "Sessionen er afsluttet. Hent rapporten herunder, eller gå tilbage til spørgesættene for at starte en ny (fx et forældremøde).",
    audience_pupils: "elever",
    audience_parents: "forældre",
    number_out_of_range: "Skriv et helt tal fra {min} til {max}.",
    reveal_complete: "Vis landstal og konklusion",
    main_next: "Næste spørgsmål",
    action_reveal_all: "Vis alt på én gang",
    action_conceal: "Et trin tilbage",
    key_hint: "→ / PageDown: {next} · ← / PageUp: {back} · B: sort skærm",
    back_word: "tilbage",
    blank_word: "Skærmen er sort. Tryk B for at vise den igen.",
    open_screen_readonly: "Skærmlink uden styring (til en anden computer)",
    action_open: "Åbn spørgsmål",
    action_close: "Luk",
    action_reveal: "Vis resultat",
    action_next: "Næste",
    action_previous: "Forrige",
    action_end: "Afslut session",
    confirm_end: "Afslut sessionen? Der kan ikke svares mere bagefter.",
    open_screen: "Åbn projektorvisning",
    comparison_alt: "Sammenligning af jeres svar, jeres gæt og landstallet",
    link_sessions: "Forældremøde: sammenlign med elevernes svar fra",
    facilitator_note: "Sådan kører du sættet",
    with_phones: "med telefon",
    with_clickers: "med clicker",
    clicker_receiver: "Clicker-modtager",
    devices: "enheder",
    bad_lines: "ulæselige linjer",
    link_hint: "Kun for forældresæt. Elevernes tal vises samlet for de valgte klasser, og en klasse med for få svar tælles ikke med.",
    download: "Hent",
    report_html: "rapport (HTML)",
    results_csv: "tal (CSV)",
    download_fetching: "Henter filen…",
    download_failed: "Filen kunne ikke hentes. Prøv igen.",
    back_to_sets: "Tilbage til spørgesæt",
    connected: "forbundet",
    status_pending: "ikke vist",
    status_open: "åben",
    status_closed: "lukket",
    status_revealed: "resultat vist",
    phase_lobby: "Venter på start",
    phase_ended: "Afsluttet",
    questions_heading: "Spørgsmål",
};

pub static EN: Texts = Texts {
    switch_to: "English",
    connecting: "Connecting…",
    reconnecting: "Reconnecting… Your answers are saved.",
    enter_code: "Type the code from the screen",
    code_label: "Code",
    join: "Join",
    unknown_code: "That code does not exist. Check it and try again.",
    lobby: "You are in! Wait for the first question.",
    anonymous_note: "You are anonymous: nobody can see what you answer.",
    thanks: "Thank you for your answer",
    thanks_note: "Wait for the next question.",
    change_answer: "Change answer",
    send: "Send answer",
    sending: "Sending…",
    wait_next: "The question is closed. Wait for the next one.",
    ended: "Thank you for taking part! The session is over.",
    question_of: "Question {n} of {count}",
    percent_label: "Percent",
    number_label: "Number",
    less: "Less",
    more: "More",
    session_ended_error: "The session is over.",
    join_at: "Join at",
    code_word: "Code",
    participants: "participants",
    answered: "have answered",
    hidden_until_reveal: "Answers are shown when the results are revealed.",
    too_few: "Too few answers to show the result: it takes at least {n}, so that nobody can be recognised.",
    waiting_one: "1 new answer is not included yet. The figures change only once a question has {k} new answers, so that nobody can be recognised.",
    waiting_many: "{n} new answers are not included yet. The figures change only once a question has {k} new answers, so that nobody can be recognised.",
    no_answers: "No answers yet",
    mean: "Mean",
    median: "Median",
    abstained: "Not in the figures",
    waiting_for_start: "Scan the code with your phone to take part",
    session_over: "Thank you!",
    host_token_label: "Facilitator key",
    log_in: "Log in",
    bad_token: "The key is wrong. Use the link the server printed at start.",
    pick_set: "Question set",
    label_label: "Label (optional)",
    label_placeholder: "e.g. Alcohol theme day",
    label_hint: "Without a label, the session is named after its class and school.",
    describe_legend: "The class (optional)",
    describe_hint: "Used in the Overview to count classes and pupils. Pick an earlier value where you can, so a school is spelt the same way. Never write anything about a pupil.",
    school_label: "School",
    grade_label: "Grade",
    class_label: "Class",
    term_label: "Term",
    school_placeholder: "e.g. North School",
    grade_placeholder: "e.g. 7",
    class_placeholder: "e.g. 7.b",
    term_placeholder: "e.g. spring 2027",
    grade_of: "grade {n}",
    term_spring: "spring",
    term_autumn: "autumn",
    open_overview: "Overview",
    overview_hint: "How many classes, pupils and parents you reached, and what they answered — over the sessions of a period.",
    start_session: "Start session",
    earlier_sessions: "Earlier sessions",
    open_session: "Open",
    no_sessions: "No sessions yet.",
    rehearse: "Rehearse with 25 pupils",
    rehearse_hint: "Try a whole lesson alone the day before: 25 simulated pupils answer the questions. A rehearsal is never exported and cannot be linked to a parent evening.",
    rehearsal_label: "Rehearsal",
    linked_to: "linked to",
    follow_up_of: "follow-up of",
    follow_up_label: "Follow-up of an earlier session (optional)",
    follow_up_none: "(none – a first measurement)",
    follow_up_hint: "The same class with the same set (or one with the same questions): the report shows each question pair before and now, and whether the misperception shrank.",
    rehearsal_badge: "Rehearsal · 25 simulated pupils — not real answers",
    rehearsal_not_exported: "A rehearsal cannot be downloaded as a report: its answers are simulated.",
    first_steps_title: "How to use pejling",
    first_steps: [
        "Pick a question set, name the class and start the session.",
        "Open the projector view on the screen. Pupils scan the QR code with their phones — on the same network as this computer.",
        "Click your way through: the question, the pupils' guesses, the class's own answers and the national figures.",
    ],
    hidden_until_comparison: "Answers are shown after you have guessed.",
    hidden_guesses: "The guesses are shown when everyone has guessed.",
    main_open_first: "Start: open the first question",
    main_close: "Close answers",
    reveal_guesses: "Show the guesses",
    reveal_actual: "Show your answers",
    reveal_pupils: "Show the pupils' answers",
    reveal_conclusion: "Show the conclusion",
    confirm_no_links: "No class is ticked. The parents can then only be compared with national figures, not with the pupils' own answers. Start anyway?",
    confirm_end_key: "Press → again to end the session (← to cancel).",
    session_ended_notice: "The session has ended. Download the report below, or go back to the question sets to start a new one (e.g. a parent evening).",
    audience_pupils: "pupils",
    audience_parents: "parents",
    number_out_of_range: "Type a whole number from {min} to {max}.",
    reveal_complete: "Show national figure and conclusion",
    main_next: "Next question",
    action_reveal_all: "Show everything at once",
    action_conceal: "One step back",
    key_hint: "→ / PageDown: {next} · ← / PageUp: {back} · B: blank screen",
    back_word: "back",
    blank_word: "The screen is blank. Press B to show it again.",
    open_screen_readonly: "Screen link without control (for another computer)",
    action_open: "Open question",
    action_close: "Close",
    action_reveal: "Reveal results",
    action_next: "Next",
    action_previous: "Previous",
    action_end: "End session",
    confirm_end: "End the session? No more answers can be given afterwards.",
    open_screen: "Open projector screen",
    comparison_alt: "Comparison of your answers, your guesses and the national figure",
    link_sessions: "Parent evening: compare with the pupils' answers from",
    facilitator_note: "How to run this set",
    with_phones: "on phones",
    with_clickers: "on clickers",
    clicker_receiver: "Clicker receiver",
    devices: "devices",
    bad_lines: "unreadable lines",
    link_hint: "Parents' sets only. The pupils' figures are pooled over the chosen classes; a class with too few answers is left out.",
    download: "Download",
    report_html: "report (HTML)",
    results_csv: "figures (CSV)",
    download_fetching: "Fetching the file…",
    download_failed: "The file could not be downloaded. Try again.",
    back_to_sets: "Back to question sets",
    connected: "connected",
    status_pending: "not shown",
    status_open: "open",
    status_closed: "closed",
    status_revealed: "revealed",
    phase_lobby: "Waiting to start",
    phase_ended: "Ended",
    questions_heading: "Questions",
};

/// "Spørgsmål 2 af 10".
pub fn question_of(texts: &Texts, index: u32, count: u32) -> String {
    texts
        .question_of
        .replace("{n}", &(index + 1).to_string())
        .replace("{count}", &count.to_string())
}

/// The note beside figures that leave newer answers out.
pub fn waiting_note(texts: &Texts, waiting: &pejling_wire::Waiting) -> String {
    let template = if waiting.answers == 1 {
        texts.waiting_one
    } else {
        texts.waiting_many
    };
    template
        .replace("{n}", &waiting.answers.to_string())
        .replace("{k}", &waiting.needed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn danish_is_the_default_and_both_languages_fill_templates() {
        assert_eq!(Language::from_code("fr"), Language::Da);
        assert_eq!(
            question_of(Language::Da.texts(), 1, 10),
            "Spørgsmål 2 af 10"
        );
        assert_eq!(question_of(Language::En.texts(), 0, 3), "Question 1 of 3");
    }
}
