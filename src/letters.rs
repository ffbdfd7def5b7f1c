//! Access letters: one A4 page per unit with its name and code, its new
//! access code and a QR code that opens the report form with the unit filled
//! in — what the organiser prints and sends to each commune. The access
//! code itself is never in the QR code: a photographed letter must not be
//! a way in without the typed code.
//!
//! Rendered from the codes just issued (they are never stored, so letters
//! exist only at that moment): by the admin page after a renewal, and by
//! `thidua units tokens --letters`.

use askama::Template;
use chrono::{DateTime, Utc};

use crate::access::Issued;
use crate::catalog::Selected;

/// Where an access letter's QR code and instructions point. Unit codes
/// (`[A-Za-z0-9._-]`) and slugs (`[a-z0-9-]`) are safe in a URL as they are.
pub fn report_url(base_url: &str, slug: &str, code: &str) -> String {
    format!(
        "{}/report?unit={code}&competition={slug}",
        base_url.trim_end_matches('/'),
    )
}

/// The QR code of `url` as inline SVG.
///
/// `qrcode` (kennytm/qrcode-rust) is the long-maintained pure-Rust encoder;
/// its SVG renderer needs no image crates, and SVG prints sharp at any
/// size.
pub fn qr_svg(url: &str) -> Option<String> {
    let code =
        qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(160, 160)
        .quiet_zone(true)
        .build();
    // Inline in HTML, the XML declaration is noise.
    svg.find("<svg").map(|start| svg[start..].to_string())
}

/// One unit's letter.
pub struct Letter {
    pub unit_name: String,
    pub unit_code: String,
    pub access_code: String,
    pub group: String,
    pub url: String,
    pub qr: String,
}

/// What the screen shows above the letters (never printed).
pub struct Toolbar {
    pub title: String,
    pub print_label: String,
    pub warning: String,
    pub back_href: String,
    pub back_label: String,
    pub csv_href: String,
    pub csv_label: String,
}

#[derive(Template)]
#[template(path = "access_letters.html")]
pub struct Letters {
    pub organizer: String,
    pub competition: String,
    pub period: String,
    pub issued_on: String,
    pub report_url: String,
    pub deadline: String,
    pub letters: Vec<Letter>,
    pub toolbar: Option<Toolbar>,
}

impl Letters {
    /// The letters for `issued`, dated `now`, pointing at `base_url`.
    pub fn new(
        selected: &Selected,
        issued: &[Issued],
        base_url: &str,
        now: DateTime<Utc>,
    ) -> Letters {
        let competition = &selected.record.competition;
        let local = now.with_timezone(&competition.timezone);
        let first = competition.start_date;
        let deadline = competition
            .deadline(first)
            .with_timezone(&competition.timezone);
        let days_after = (deadline.date_naive() - first).num_days();
        let deadline_text = match days_after {
            0 => format!("{} cùng ngày", deadline.format("%H:%M")),
            1 => format!("{} ngày hôm sau", deadline.format("%H:%M")),
            n => format!("{} sau {n} ngày", deadline.format("%H:%M")),
        };
        let letters = issued
            .iter()
            .map(|i| {
                let url = report_url(base_url, &competition.slug, &i.code);
                let group = selected
                    .unit(&i.code)
                    .map(|u| competition.group_name(&u.group).to_string())
                    .unwrap_or_default();
                Letter {
                    unit_name: i.name.clone(),
                    unit_code: i.code.clone(),
                    access_code: i.token.clone(),
                    group,
                    qr: qr_svg(&url).unwrap_or_default(),
                    url,
                }
            })
            .collect();
        Letters {
            organizer: competition.organizer.clone(),
            competition: competition.name.clone(),
            period: format!(
                "{} – {}",
                competition.start_date.format("%d/%m/%Y"),
                competition.end_date.format("%d/%m/%Y")
            ),
            issued_on: format!(
                "Ngày {} tháng {} năm {}",
                local.format("%d"),
                local.format("%m"),
                local.format("%Y")
            ),
            report_url: format!("{}/report", base_url.trim_end_matches('/')),
            deadline: deadline_text,
            letters,
            toolbar: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_inline_svg_of_the_form_address() {
        let url = report_url("https://thidua.example.vn/", "lang-son-2025", "06040");
        assert_eq!(
            url,
            "https://thidua.example.vn/report?unit=06040&competition=lang-son-2025"
        );
        let svg = qr_svg(&url).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.contains("<path") || svg.contains("<rect"));
    }
}
