//! The sharing and importing texts of *Overblik*, in Danish (the default) and English.

use pejling_wire::Language;

pub struct ExchangeTexts {
    pub share_heading: &'static str,
    pub share_intro: &'static str,
    pub origin_label: &'static str,
    pub origin_hint: &'static str,
    pub share_button: &'static str,
    /// `{which}`: [`ExchangeTexts::the_sessions`] or `the_one_session`; `{scope}`: the
    /// period and filters.
    pub in_the_file: &'static str,
    /// `{n}`: how many sessions.
    pub the_sessions: &'static str,
    pub the_one_session: &'static str,
    /// `{n}`: the minimum.
    pub counts_only: &'static str,
    pub never: &'static str,
    /// `{scope}`: the period and filters.
    pub nothing_to_share: &'static str,
    /// `{sessions}`: "4 sessioner".
    pub imported_stay: &'static str,
    pub no_origin: &'static str,
    pub fetching: &'static str,
    /// `{file}`: the name it was saved under.
    pub saved: &'static str,
    pub failed: &'static str,
    pub session: &'static str,
    pub sessions: &'static str,
    pub import_heading: &'static str,
    pub import_intro: &'static str,
    pub import_button: &'static str,
    pub drop_hint: &'static str,
    /// `{n}` of `{of}`: the file on its way.
    pub importing: &'static str,
    /// `{origin}`, `{when}`, `{added}` ("12 sessioner"), `{updated}`, `{unchanged}`.
    pub imported: &'static str,
    /// Appended when own sessions were skipped; `{n}`.
    pub own: &'static str,
    pub own_one: &'static str,
    /// `{file}`, `{why}`.
    pub not_imported: &'static str,
    /// `{mb}`: the largest file.
    pub too_large: &'static str,
    pub import_failed: &'static str,
    pub origins_heading: &'static str,
    pub no_origins: &'static str,
    pub origins_failed: &'static str,
    /// `{sessions}`, `{days}`, `{when}`.
    pub origin_facts: &'static str,
    pub remove: &'static str,
    /// `{which}`, `{origin}`.
    pub confirm_remove: &'static str,
    /// `{sessions}`, `{origin}`.
    pub removed: &'static str,
    /// `{origin}`.
    pub remove_failed: &'static str,
}

impl ExchangeTexts {
    pub fn of(lang: Language) -> &'static ExchangeTexts {
        match lang {
            Language::Da => &DA,
            Language::En => &EN,
        }
    }
}

static DA: ExchangeTexts = ExchangeTexts {
    share_heading: "Del med koordinatoren",
    share_intro: "Arbejder I på flere computere? Hent en delingsfil med tallene herfra og send den til den, der samler kommunens opgørelse. Koordinatoren importerer den på sit eget Overblik.",
    origin_label: "Afsender (vises hos koordinatoren)",
    origin_hint: "Fx dit navn og team: «Anna, SSP Nord».",
    share_button: "Hent delingsfil",
    in_the_file: "Med i filen: {which} fra denne computer, som overblikket ovenfor tæller for {scope}, og for en opfølgning også den tidligere session, den sammenlignes med.",
    the_sessions: "de {n} sessioner",
    the_one_session: "den ene session",
    counts_only: "For hver klasse kun, hvor mange der gav hvert svar. Har færre end {n} i en klasse svaret på et spørgsmål, kommer tallene ikke med.",
    never: "Aldrig elevers navne, adgangskoder eller den enkelte elevs svar.",
    nothing_to_share: "Overblikket ovenfor tæller ingen sessioner fra denne computer for {scope}, så der er intet at dele. Vælg en anden periode ovenfor.",
    imported_stay: "Ikke med: {sessions}, der er importeret fra andre computere.",
    no_origin: "Skriv først, hvem filen er fra.",
    fetching: "Laver delingsfilen…",
    saved: "Gemt som {file}. Send filen til koordinatoren, fx som vedhæftet fil i en mail.",
    failed: "Delingsfilen kunne ikke hentes. Prøv igen.",
    session: "session",
    sessions: "sessioner",
    import_heading: "Sessioner fra andre computere",
    import_intro: "Har du fået delingsfiler fra kolleger? Importér dem her, så tæller overblikket deres sessioner med, mærket med afsenderen. En session, der allerede er importeret, tælles kun én gang.",
    import_button: "Importér delingsfiler…",
    drop_hint: "Eller træk filerne hertil.",
    importing: "Importerer fil {n} af {of}…",
    imported: "{origin} (eksporteret {when}): {added} tilføjet, {updated} opdateret, {unchanged} fandtes allerede",
    own: ", {n} er denne computers egne og blev sprunget over",
    own_one: ", {n} er denne computers egen og blev sprunget over",
    not_imported: "{file}: ikke importeret. {why}",
    too_large: "Filen er for stor til at være en delingsfil (højst {mb} MB).",
    import_failed: "Serveren svarede ikke som ventet. Prøv igen.",
    origins_heading: "Importeret til denne computer",
    no_origins: "Ingen importerede sessioner.",
    origins_failed: "Listen over importerede sessioner kunne ikke hentes.",
    origin_facts: "{sessions}, {days} (nyeste tal eksporteret {when})",
    remove: "Fjern",
    confirm_remove: "Fjern {which} fra «{origin}» fra denne computer? Du kan importere filen igen senere.",
    removed: "{sessions} fra {origin} er fjernet.",
    remove_failed: "Sessionerne fra {origin} kunne ikke fjernes. Prøv igen.",
};

static EN: ExchangeTexts = ExchangeTexts {
    share_heading: "Share with the coordinator",
    share_intro: "Working on several computers? Download a sharing file with the figures from here and send it to whoever compiles the municipality's account. The coordinator imports it on their own Overview.",
    origin_label: "Sender (shown to the coordinator)",
    origin_hint: "E.g. your name and team: “Anna, SSP North”.",
    share_button: "Download sharing file",
    in_the_file: "In the file: {which} of this computer that the overview above counts for {scope}, and for a follow-up also the earlier session it is compared with.",
    the_sessions: "the {n} sessions",
    the_one_session: "the one session",
    counts_only: "For each class only how many gave each answer. Where fewer than {n} in a class answered a question, its counts are left out.",
    never: "Never pupils' names, access codes or any one pupil's answer.",
    nothing_to_share: "The overview above counts no sessions of this computer for {scope}, so there is nothing to share. Choose another period above.",
    imported_stay: "Not in it: {sessions} imported from other computers.",
    no_origin: "First write who the file is from.",
    fetching: "Making the sharing file…",
    saved: "Saved as {file}. Send the file to the coordinator, e.g. attached to an e-mail.",
    failed: "The sharing file could not be fetched. Try again.",
    session: "session",
    sessions: "sessions",
    import_heading: "Sessions from other computers",
    import_intro: "Received sharing files from colleagues? Import them here and the overview counts their sessions, marked with the sender. A session imported before is counted once.",
    import_button: "Import sharing files…",
    drop_hint: "Or drop the files here.",
    importing: "Importing file {n} of {of}…",
    imported: "{origin} (exported {when}): {added} added, {updated} updated, {unchanged} already here",
    own: ", {n} are this computer's own and were skipped",
    own_one: ", {n} is this computer's own and was skipped",
    not_imported: "{file}: not imported. {why}",
    too_large: "The file is too large to be a sharing file (at most {mb} MB).",
    import_failed: "The server did not answer as expected. Try again.",
    origins_heading: "Imported to this computer",
    no_origins: "No imported sessions.",
    origins_failed: "The list of imported sessions could not be fetched.",
    origin_facts: "{sessions}, {days} (newest figures exported {when})",
    remove: "Remove",
    confirm_remove: "Remove {which} from “{origin}” from this computer? You can import the file again later.",
    removed: "{sessions} from {origin} removed.",
    remove_failed: "The sessions from {origin} could not be removed. Try again.",
};
