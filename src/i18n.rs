//! Every label of the web pages, in Vietnamese (the default) and English.
//!
//! Each page area has one labels struct with a Vietnamese and an English
//! constant side by side, so that a missing translation is a compile error.
//! To add an area (a form, the admin pages), append at the END of this file:
//! a `pub struct XxxLabels`, `const XXX_VI` and `const XXX_EN`, and a
//! `pub fn xxx(self) -> &'static XxxLabels` in a new `impl Lang` block.
//!
//! Labels with `{name}` placeholders are filled with [`fill`].

use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    /// `?lang=` wins; else the first of vi/en in `Accept-Language` by
    /// preference; else Vietnamese.
    pub fn negotiate(explicit: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(lang) = explicit.and_then(Lang::from_tag) {
            return lang;
        }
        let Some(header) = accept_language else {
            return Lang::Vi;
        };
        let mut tags: Vec<(f32, usize, Lang)> = header
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut pieces = part.split(';');
                let lang = Lang::from_tag(pieces.next()?.trim())?;
                let q = pieces
                    .filter_map(|p| p.trim().strip_prefix("q="))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                (q > 0.0).then_some((q, i, lang))
            })
            .collect();
        tags.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        tags.first().map_or(Lang::Vi, |t| t.2)
    }

    fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The `lang` attribute and `?lang=` value.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// The other language, for the language switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    /// Basis points as a number with two decimals: "97,35" / "97.35".
    pub fn decimal(self, bp: u32) -> String {
        let text = format!("{}.{:02}", bp / 100, bp % 100);
        match self {
            Lang::Vi => text.replace('.', ","),
            Lang::En => text,
        }
    }

    /// Basis points as a percentage: "97,35%" / "97.35%".
    pub fn percent(self, bp: u32) -> String {
        format!("{}%", self.decimal(bp))
    }

    pub fn date(self, day: NaiveDate) -> String {
        match self {
            Lang::Vi => day.format("%d/%m/%Y").to_string(),
            Lang::En => day.format("%-d %b %Y").to_string(),
        }
    }

    /// A short day for table headers and chart axes: "06/10" / "6 Oct".
    pub fn short_date(self, day: NaiveDate) -> String {
        match self {
            Lang::Vi => day.format("%d/%m").to_string(),
            Lang::En => day.format("%-d %b").to_string(),
        }
    }

    pub fn date_time(self, at: DateTime<Tz>) -> String {
        match self {
            Lang::Vi => at.format("%H:%M %d/%m/%Y").to_string(),
            Lang::En => at.format("%H:%M, %-d %b %Y").to_string(),
        }
    }

    /// A competition's own label, in English when it has one.
    pub fn pick<'a>(self, vi: &'a str, en: Option<&'a str>) -> &'a str {
        match (self, en) {
            (Lang::En, Some(en)) if !en.is_empty() => en,
            _ => vi,
        }
    }
}

/// Replaces each `{name}` in `template` with its value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_string(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

/// The live board (`/`), the unit page (`/units/{code}`) and their frame.
#[derive(Debug)]
pub struct BoardLabels {
    pub skip_to_content: &'static str,
    pub switch_language: &'static str,
    pub board_title: &'static str,
    pub boards_nav: &'static str,
    pub all_units: &'static str,
    /// `{n}`, `{total}`.
    pub day_of: &'static str,
    /// `{date}`.
    pub starts_on: &'static str,
    pub finished: &'static str,
    pub updated_at: &'static str,
    pub live: &'static str,
    pub live_offline: &'static str,
    pub frozen: &'static str,
    /// `{time}`.
    pub frozen_note: &'static str,
    pub final_results: &'static str,
    pub final_note: &'static str,
    /// `{board}`.
    pub table_caption: &'static str,
    pub rank: &'static str,
    pub rank_change: &'static str,
    pub unit: &'static str,
    pub criteria: &'static str,
    pub score: &'static str,
    pub grade: &'static str,
    pub days_reported: &'static str,
    pub target: &'static str,
    /// `{n}`.
    pub rank_up: &'static str,
    /// `{n}`.
    pub rank_down: &'static str,
    pub rank_same: &'static str,
    pub rank_new: &'static str,
    pub no_dossiers_rate: &'static str,
    pub totals: &'static str,
    /// `{reported}`, `{units}`.
    pub reported_count: &'static str,
    pub not_reported_today: &'static str,
    pub all_reported_today: &'static str,
    pub unranked: &'static str,
    pub reason_no_reports: &'static str,
    pub reason_no_dossiers: &'static str,
    pub unranked_no_reports: &'static str,
    pub unranked_no_dossiers: &'static str,
    pub no_ranked_units: &'static str,
    pub search_label: &'static str,
    pub search_placeholder: &'static str,
    pub no_match: &'static str,
    /// `{time}`.
    pub updated_announcement: &'static str,
    pub back_to_board: &'static str,
    pub unit_code: &'static str,
    pub group: &'static str,
    pub current_standing: &'static str,
    /// `{group}`.
    pub rank_in_group: &'static str,
    pub chart_title: &'static str,
    pub chart_description: &'static str,
    pub daily_figures: &'static str,
    pub day: &'static str,
    pub not_reported: &'static str,
    pub late: &'static str,
    pub corrected: &'static str,
    pub revision_history: &'static str,
    pub revision: &'static str,
    pub revised_at: &'static str,
    pub report_day: &'static str,
    pub revision_source: &'static str,
    pub by_unit: &'static str,
    pub by_organizer: &'static str,
    pub no_revisions: &'static str,
    pub footer: &'static str,
    pub tv_mode: &'static str,
}

const BOARD_VI: BoardLabels = BoardLabels {
    skip_to_content: "Bỏ qua, đến nội dung chính",
    switch_language: "English",
    board_title: "Bảng xếp hạng trực tiếp",
    boards_nav: "Chọn bảng xếp hạng",
    all_units: "Tất cả",
    day_of: "Ngày {n}/{total}",
    starts_on: "Bắt đầu ngày {date}",
    finished: "Đã kết thúc",
    updated_at: "Cập nhật lúc",
    live: "Trực tiếp",
    live_offline: "Mất kết nối, đang thử lại…",
    frozen: "Đã đóng băng",
    frozen_note: "Bảng xếp hạng công khai được giữ nguyên như lúc {time}.",
    final_results: "Kết quả chính thức",
    final_note: "Ban tổ chức đã chốt kết quả; bảng xếp hạng không thay đổi nữa.",
    table_caption: "Xếp hạng — {board}",
    rank: "Hạng",
    rank_change: "Thay đổi hạng",
    unit: "Đơn vị",
    criteria: "Tiêu chí",
    score: "Điểm",
    grade: "Xếp loại",
    days_reported: "Số ngày báo cáo",
    target: "Chỉ tiêu",
    rank_up: "tăng {n} bậc",
    rank_down: "giảm {n} bậc",
    rank_same: "giữ nguyên",
    rank_new: "chưa có hạng hôm trước",
    no_dossiers_rate: "không có hồ sơ",
    totals: "Tổng hợp cả bảng",
    reported_count: "{reported}/{units} đơn vị đã báo cáo",
    not_reported_today: "Chưa báo cáo hôm nay",
    all_reported_today: "Tất cả đơn vị đã báo cáo hôm nay.",
    unranked: "Chưa xếp hạng",
    reason_no_reports: "chưa có báo cáo",
    reason_no_dossiers: "không phát sinh hồ sơ",
    unranked_no_reports: "Chưa có báo cáo nào",
    unranked_no_dossiers: "Không phát sinh hồ sơ trong kỳ",
    no_ranked_units: "Chưa có đơn vị nào được xếp hạng.",
    search_label: "Tìm đơn vị",
    search_placeholder: "Ví dụ: Thất Khê",
    no_match: "Không có đơn vị nào phù hợp.",
    updated_announcement: "Bảng xếp hạng vừa được cập nhật lúc {time}.",
    back_to_board: "Bảng xếp hạng",
    unit_code: "Mã đơn vị",
    group: "Khối",
    current_standing: "Thứ hạng hiện tại",
    rank_in_group: "Hạng trong khối {group}",
    chart_title: "Tỷ lệ từng tiêu chí theo ngày",
    chart_description: "Biểu đồ đường: tỷ lệ của mỗi tiêu chí trong từng ngày, so với mức chỉ tiêu 100%.",
    daily_figures: "Số liệu theo ngày",
    day: "Ngày",
    not_reported: "Chưa báo cáo",
    late: "nộp muộn",
    corrected: "đã điều chỉnh",
    revision_history: "Lịch sử cập nhật số liệu",
    revision: "Lần",
    revised_at: "Thời điểm",
    report_day: "Số liệu ngày",
    revision_source: "Nguồn",
    by_unit: "Đơn vị gửi",
    by_organizer: "Ban tổ chức điều chỉnh",
    no_revisions: "Đơn vị chưa gửi số liệu.",
    footer: "Số liệu do các đơn vị tự báo cáo hằng ngày; điểm và thứ hạng được tính tự động.",
    tv_mode: "Chế độ màn hình lớn",
};

const BOARD_EN: BoardLabels = BoardLabels {
    skip_to_content: "Skip to main content",
    switch_language: "Tiếng Việt",
    board_title: "Live leaderboard",
    boards_nav: "Choose a board",
    all_units: "All",
    day_of: "Day {n} of {total}",
    starts_on: "Starts on {date}",
    finished: "Finished",
    updated_at: "Updated at",
    live: "Live",
    live_offline: "Connection lost, retrying…",
    frozen: "Frozen",
    frozen_note: "The public board stays as it was at {time}.",
    final_results: "Official results",
    final_note: "The organiser has finalised the results; the board no longer changes.",
    table_caption: "Ranking — {board}",
    rank: "Rank",
    rank_change: "Rank change",
    unit: "Unit",
    criteria: "Criteria",
    score: "Score",
    grade: "Grade",
    days_reported: "Days reported",
    target: "Target",
    rank_up: "up {n}",
    rank_down: "down {n}",
    rank_same: "unchanged",
    rank_new: "no previous rank",
    no_dossiers_rate: "no dossiers",
    totals: "Board totals",
    reported_count: "{reported} of {units} units have reported",
    not_reported_today: "Not yet reported today",
    all_reported_today: "Every unit has reported today.",
    unranked: "Not ranked",
    reason_no_reports: "no reports yet",
    reason_no_dossiers: "no dossiers",
    unranked_no_reports: "No report yet",
    unranked_no_dossiers: "No dossiers in the period",
    no_ranked_units: "No unit is ranked yet.",
    search_label: "Find a unit",
    search_placeholder: "e.g. That Khe",
    no_match: "No unit matches.",
    updated_announcement: "The board was updated at {time}.",
    back_to_board: "Leaderboard",
    unit_code: "Unit code",
    group: "Group",
    current_standing: "Current standing",
    rank_in_group: "Rank in {group}",
    chart_title: "Each criterion's rate by day",
    chart_description: "Line chart: each criterion's rate on each day, against the 100% target.",
    daily_figures: "Daily figures",
    day: "Day",
    not_reported: "Not reported",
    late: "late",
    corrected: "corrected",
    revision_history: "Revision history",
    revision: "Revision",
    revised_at: "When",
    report_day: "Figures for",
    revision_source: "Source",
    by_unit: "Sent by the unit",
    by_organizer: "Corrected by the organiser",
    no_revisions: "The unit has not sent figures yet.",
    footer: "Figures are reported daily by the units; scores and ranks are computed automatically.",
    tv_mode: "Wall-screen mode",
};

impl Lang {
    pub fn board(self) -> &'static BoardLabels {
        match self {
            Lang::Vi => &BOARD_VI,
            Lang::En => &BOARD_EN,
        }
    }
}

/// The unit form (`/report`) and its login.
#[derive(Debug)]
pub struct ReportLabels {
    pub login_title: &'static str,
    pub login_lead: &'static str,
    pub unit_code: &'static str,
    pub access_code: &'static str,
    pub sign_in: &'static str,
    pub lost_code: &'static str,
    pub login_refused: &'static str,
    pub form_title: &'static str,
    pub sign_out: &'static str,
    /// `{code}`.
    pub unit_code_line: &'static str,
    /// `{day}`.
    pub saved: &'static str,
    /// `{n}`.
    pub revision_n: &'static str,
    /// `{day}`.
    pub unchanged: &'static str,
    pub unchanged_note: &'static str,
    pub rank_now: &'static str,
    pub unranked: &'static str,
    pub score: &'static str,
    pub grade: &'static str,
    pub days_reported: &'static str,
    pub report_day: &'static str,
    pub choose: &'static str,
    /// `{n}`, `{total}`, `{date}`.
    pub day_option: &'static str,
    pub final_notice: &'static str,
    /// `{day}`, `{deadline}`.
    pub closed_notice: &'static str,
    /// `{day}`, `{deadline}`.
    pub deadline_hint: &'static str,
    pub note_optional: &'static str,
    /// `{day}`.
    pub send: &'static str,
    pub invalid_form: &'static str,
    pub history: &'static str,
    pub no_history: &'static str,
    pub day: &'static str,
    pub revision: &'static str,
    pub corrected: &'static str,
    pub late: &'static str,
    /// `{n}`.
    pub all_revisions: &'static str,
    pub by_unit: &'static str,
    /// `{name}`.
    pub by_organizer: &'static str,
    pub reason: &'static str,
    pub note: &'static str,
}

const REPORT_VI: ReportLabels = ReportLabels {
    login_title: "Đăng nhập báo cáo số liệu",
    login_lead: "Dành cho cán bộ của đơn vị: nhập mã đơn vị và mã truy cập do Sở Nội vụ cấp.",
    unit_code: "Mã đơn vị",
    access_code: "Mã truy cập",
    sign_in: "Đăng nhập",
    lost_code: "Mất mã truy cập? Liên hệ Sở Nội vụ để được cấp lại. Hệ thống của đơn vị cũng có thể gửi số liệu qua API với cùng mã truy cập.",
    login_refused: "Mã đơn vị hoặc mã truy cập không đúng.",
    form_title: "Báo cáo số liệu",
    sign_out: "Đăng xuất",
    unit_code_line: "Mã đơn vị {code}",
    saved: "Đã lưu số liệu ngày {day}",
    revision_n: "(lần cập nhật thứ {n})",
    unchanged: "Số liệu ngày {day} không thay đổi",
    unchanged_note: "giống hệt lần báo cáo trước, không tạo bản mới.",
    rank_now: "Hạng hiện tại",
    unranked: "Chưa được xếp hạng",
    score: "Điểm",
    grade: "Xếp loại",
    days_reported: "Số ngày đã báo cáo",
    report_day: "Ngày báo cáo",
    choose: "Chọn",
    day_option: "Ngày {n}/{total} — {date}",
    final_notice: "Cuộc thi đã có kết quả chính thức; không thể thay đổi số liệu.",
    closed_notice: "Đã hết hạn báo cáo ngày {day} ({deadline}). Nếu cần sửa, đề nghị Sở Nội vụ cập nhật thay đơn vị.",
    deadline_hint: "Hạn chót báo cáo ngày {day}: {deadline}. Gửi lại trước hạn để sửa số liệu.",
    note_optional: "Ghi chú (không bắt buộc)",
    send: "Gửi số liệu ngày {day}",
    invalid_form: "Số liệu chưa hợp lệ, vui lòng sửa các ô được đánh dấu.",
    history: "Lịch sử báo cáo",
    no_history: "Đơn vị chưa báo cáo ngày nào.",
    day: "Ngày",
    revision: "Lần cập nhật",
    corrected: "Đã sửa",
    late: "Trễ hạn",
    all_revisions: "Tất cả các lần cập nhật ({n})",
    by_unit: "Đơn vị",
    by_organizer: "Ban tổ chức ({name})",
    reason: "Lý do",
    note: "Ghi chú",
};

const REPORT_EN: ReportLabels = ReportLabels {
    login_title: "Sign in to report figures",
    login_lead: "For unit staff: enter the unit code and the access code issued by the Department of Home Affairs.",
    unit_code: "Unit code",
    access_code: "Access code",
    sign_in: "Sign in",
    lost_code: "Lost the access code? Ask the Department of Home Affairs for a new one. The unit's own system can also post figures over the API with the same code.",
    login_refused: "Wrong unit code or access code.",
    form_title: "Report figures",
    sign_out: "Sign out",
    unit_code_line: "Unit code {code}",
    saved: "Figures for {day} saved",
    revision_n: "(revision {n})",
    unchanged: "Figures for {day} unchanged",
    unchanged_note: "identical to the previous report; no new revision.",
    rank_now: "Current rank",
    unranked: "Not ranked yet",
    score: "Score",
    grade: "Grade",
    days_reported: "Days reported",
    report_day: "Day",
    choose: "Open",
    day_option: "Day {n}/{total} — {date}",
    final_notice: "The competition's results are final; figures can no longer change.",
    closed_notice: "Reporting for {day} closed at {deadline}. To correct it, ask the Department of Home Affairs.",
    deadline_hint: "Deadline for {day}: {deadline}. Send again before it to correct your figures.",
    note_optional: "Note (optional)",
    send: "Send figures for {day}",
    invalid_form: "Some figures are not valid; please fix the marked fields.",
    history: "Reporting history",
    no_history: "The unit has not reported any day yet.",
    day: "Day",
    revision: "Revision",
    corrected: "Corrected",
    late: "Late",
    all_revisions: "Every revision ({n})",
    by_unit: "Unit",
    by_organizer: "Organiser ({name})",
    reason: "Reason",
    note: "Note",
};

impl Lang {
    pub fn report(self) -> &'static ReportLabels {
        match self {
            Lang::Vi => &REPORT_VI,
            Lang::En => &REPORT_EN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_choice_wins_over_the_browser() {
        assert_eq!(Lang::negotiate(Some("en"), Some("vi-VN")), Lang::En);
        assert_eq!(Lang::negotiate(Some("vi"), Some("en-US")), Lang::Vi);
        assert_eq!(Lang::negotiate(Some("fr"), Some("en-US")), Lang::En);
    }

    #[test]
    fn accept_language_is_read_by_preference() {
        assert_eq!(Lang::negotiate(None, None), Lang::Vi);
        assert_eq!(Lang::negotiate(None, Some("en-GB,en;q=0.9")), Lang::En);
        assert_eq!(
            Lang::negotiate(None, Some("fr, en;q=0.5, vi;q=0.8")),
            Lang::Vi
        );
        assert_eq!(Lang::negotiate(None, Some("de, fr")), Lang::Vi);
        assert_eq!(Lang::negotiate(None, Some("vi;q=0, en")), Lang::En);
    }

    #[test]
    fn numbers_use_the_language_decimal_mark() {
        assert_eq!(Lang::Vi.percent(9735), "97,35%");
        assert_eq!(Lang::En.percent(9735), "97.35%");
        assert_eq!(Lang::Vi.decimal(10000), "100,00");
        assert_eq!(Lang::En.decimal(5), "0.05");
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            fill(BOARD_VI.day_of, &[("n", "3"), ("total", "5")]),
            "Ngày 3/5"
        );
        assert_eq!(
            fill(BOARD_EN.day_of, &[("n", "3"), ("total", "5")]),
            "Day 3 of 5"
        );
    }
}
