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

    /// A count with thousands grouped: "10.000" / "10,000".
    pub fn count(self, n: usize) -> String {
        let digits = n.to_string();
        let mark = match self {
            Lang::Vi => '.',
            Lang::En => ',',
        };
        let mut out = String::new();
        for (i, d) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(mark);
            }
            out.push(d);
        }
        out
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
    pub search_button: &'static str,
    pub find_label: &'static str,
    pub find_placeholder: &'static str,
    pub find_button: &'static str,
    pub pages_nav: &'static str,
    pub previous_page: &'static str,
    pub next_page: &'static str,
    /// `{from}`, `{to}`, `{total}`.
    pub showing: &'static str,
    /// `{query}`, `{n}`.
    pub search_results: &'static str,
    pub whole_board: &'static str,
    /// `{code}`.
    pub not_on_board: &'static str,
    pub locate: &'static str,
    /// `{n}`.
    pub more_units: &'static str,
    /// The days-reported column's heading where the column is narrow.
    pub days_short: &'static str,
    pub reach_title: &'static str,
    pub reach_intro: &'static str,
    /// `{target}`.
    pub reach_met: &'static str,
    /// `{n}`, `{what}`, `{target}`.
    pub reach_target: &'static str,
    pub reach_unreachable: &'static str,
    /// `{n}`, `{what}`.
    pub reach_to_99: &'static str,
    /// `{n}`, `{what}`, `{unit}`.
    pub reach_pass: &'static str,
    /// `{n}`, `{what}`, `{grade}`.
    pub reach_grade: &'static str,
    pub reach_no_reports: &'static str,
    /// `{rank}`, `{group}`, `{score}`.
    pub unit_description: &'static str,
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
    reported_count: "{reported}/{units} đơn vị đã báo cáo trong kỳ",
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
    search_button: "Tìm",
    find_label: "Mã đơn vị",
    find_placeholder: "Ví dụ: 06040",
    find_button: "Xem vị trí",
    pages_nav: "Các trang của bảng xếp hạng",
    previous_page: "Trang trước",
    next_page: "Trang sau",
    showing: "Đơn vị {from}–{to} trên {total}",
    search_results: "Tìm “{query}”: {n} đơn vị",
    whole_board: "Xem cả bảng",
    not_on_board: "Không có đơn vị mã “{code}” trên bảng này.",
    locate: "Vị trí trên bảng",
    more_units: "… và {n} đơn vị khác",
    days_short: "Số ngày",
    reach_title: "Để đạt 100%",
    reach_intro: "Số hồ sơ xử lý trực tuyến cần thêm, tính riêng cho từng tiêu chí, các số liệu khác giữ nguyên.",
    reach_met: "Đã đạt chỉ tiêu {target}%.",
    reach_target: "Cần thêm {n} {what} để đạt chỉ tiêu {target}%.",
    reach_unreachable: "Không còn đạt được 100% trong kỳ: đã có hồ sơ không xử lý trực tuyến.",
    reach_to_99: "Cần thêm {n} {what} để đạt 99,00%.",
    reach_pass: "Cần thêm {n} {what} để vượt {unit}.",
    reach_grade: "Cần thêm {n} {what} để đạt loại {grade}.",
    reach_no_reports: "Đơn vị cần gửi báo cáo để được xếp hạng.",
    unit_description: "Hạng {rank} {group}, {score} điểm",
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
    reported_count: "{reported} of {units} units have reported in the period",
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
    search_button: "Search",
    find_label: "Unit code",
    find_placeholder: "e.g. 06040",
    find_button: "Show its place",
    pages_nav: "Pages of the leaderboard",
    previous_page: "Previous page",
    next_page: "Next page",
    showing: "Units {from}–{to} of {total}",
    search_results: "“{query}”: {n} units",
    whole_board: "Whole board",
    not_on_board: "No unit with code “{code}” on this board.",
    locate: "Place on the board",
    more_units: "… and {n} more units",
    days_short: "Days",
    reach_title: "What it takes",
    reach_intro: "More dossiers handled online, counted for each criterion alone, every other figure as it stands.",
    reach_met: "The {target}% target is met.",
    reach_target: "{n} more {what} to meet the {target}% target.",
    reach_unreachable: "100% can no longer be reached in this period: a dossier was handled offline.",
    reach_to_99: "{n} more {what} to show 99.00%.",
    reach_pass: "{n} more {what} to pass {unit}.",
    reach_grade: "{n} more {what} to reach the grade {grade}.",
    reach_no_reports: "The unit has to report to be ranked.",
    unit_description: "Rank {rank} in {group}, score {score}",
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
    pub access_code_hint: &'static str,
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
    access_code_hint: "Mã in trên thư của Sở Nội vụ. Không phân biệt chữ hoa, chữ thường; gõ có hoặc không có dấu gạch, dấu cách đều được.",
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
    access_code_hint: "The code printed on the Department's letter. Upper or lower case, with or without dashes and spaces.",
};

impl Lang {
    pub fn report(self) -> &'static ReportLabels {
        match self {
            Lang::Vi => &REPORT_VI,
            Lang::En => &REPORT_EN,
        }
    }
}

/// The organiser's workspace (`/admin`): its pages, the audit log's words
/// and the access letters' screen frame.
#[derive(Debug)]
pub struct AdminLabels {
    pub nav_label: &'static str,
    pub nav_dashboard: &'static str,
    pub nav_report: &'static str,
    pub nav_import: &'static str,
    pub nav_reminders: &'static str,
    pub nav_audit: &'static str,
    pub nav_units: &'static str,
    pub nav_integrations: &'static str,
    pub integrations_hint: &'static str,
    pub integrations_none: &'static str,
    pub integration_new: &'static str,
    pub integration_name: &'static str,
    pub integration_issue: &'static str,
    pub integration_issued: &'static str,
    pub integration_created: &'static str,
    pub integration_last_used: &'static str,
    pub integration_revoke: &'static str,
    pub integration_revoked: &'static str,
    pub integration_revoked_at: &'static str,
    pub nav_account: &'static str,
    pub sign_out: &'static str,
    pub back: &'static str,
    pub board_link: &'static str,
    pub unit: &'static str,
    pub group: &'static str,
    pub day: &'static str,
    pub all_groups: &'static str,
    pub filter: &'static str,
    /// The dashboard's choice among the organiser's competitions.
    pub competition_choice: &'static str,
    pub competition_open: &'static str,
    pub open: &'static str,
    pub choose_unit: &'static str,
    pub reason: &'static str,
    pub note: &'static str,
    pub cancel: &'static str,
    pub unit_code: &'static str,
    pub unit_name: &'static str,
    pub access_code: &'static str,
    pub login_title: &'static str,
    pub login_lead: &'static str,
    pub login_name: &'static str,
    pub login_password: &'static str,
    pub sign_in: &'static str,
    pub login_refused: &'static str,
    pub status_open: &'static str,
    pub status_frozen: &'static str,
    pub status_final: &'static str,
    /// `{time}`.
    pub frozen_at: &'static str,
    /// `{time}`.
    pub final_at: &'static str,
    pub done_freeze: &'static str,
    pub done_finalize: &'static str,
    pub done_reopen: &'static str,
    pub done_nothing: &'static str,
    pub done_reason: &'static str,
    /// `{board}`.
    pub live_title: &'static str,
    pub live_hint: &'static str,
    pub no_ranked: &'static str,
    pub exports: &'static str,
    pub print_link: &'static str,
    pub exports_hint: &'static str,
    pub renew_title: &'static str,
    pub renew_hint: &'static str,
    pub renew_letter: &'static str,
    pub renew_csv: &'static str,
    pub renew_all_link: &'static str,
    pub state_title: &'static str,
    pub reopen_reason: &'static str,
    pub reopen: &'static str,
    pub freeze_now: &'static str,
    pub unfreeze_reason: &'static str,
    pub unfreeze: &'static str,
    pub finalize_button: &'static str,
    pub matrix_title: &'static str,
    pub matrix_hint: &'static str,
    pub st_on_time: &'static str,
    pub st_late: &'static str,
    pub st_corrected: &'static str,
    pub st_missing: &'static str,
    pub st_pending: &'static str,
    pub reported_missing: &'static str,
    pub finalize_title: &'static str,
    /// `{boards}`, `{units}`.
    pub finalize_units: &'static str,
    /// `{deadline}`, `{left}`, `{n}`, `{total}`.
    pub finalize_early: &'static str,
    /// `{day}`, `{missing}`.
    pub finalize_missing_today: &'static str,
    pub finalize_confirm: &'static str,
    pub finalize_confirm_early: &'static str,
    pub finalize_submit: &'static str,
    pub finalize_already: &'static str,
    pub finalize_needs_confirm: &'static str,
    pub renew_all_title: &'static str,
    /// `{units}`.
    pub renew_all_warning: &'static str,
    /// `{units}`.
    pub renew_all_confirm: &'static str,
    /// `{units}`.
    pub renew_all_letters: &'static str,
    pub renew_all_csv: &'static str,
    pub renew_needs_confirm: &'static str,
    pub renew_choose_unit: &'static str,
    pub issued_title: &'static str,
    pub issued_warning: &'static str,
    pub issued_csv: &'static str,
    pub letters_title: &'static str,
    pub letters_print: &'static str,
    pub audit_title: &'static str,
    pub audit_action: &'static str,
    pub any_action: &'static str,
    pub any_unit: &'static str,
    pub audit_actor: &'static str,
    pub any_actor: &'static str,
    pub show_logins: &'static str,
    pub search: &'static str,
    pub search_placeholder: &'static str,
    pub when: &'static str,
    pub target: &'static str,
    pub details: &'static str,
    pub no_entries: &'static str,
    pub newer: &'static str,
    pub older: &'static str,
    /// `{count}`, `{n}`, `{pages}`.
    pub page_of: &'static str,
    pub actor_system: &'static str,
    pub actor_cli: &'static str,
    /// `{day}`, `{figures}`, `{revision}`.
    pub d_correction: &'static str,
    pub see_revisions: &'static str,
    /// `{created}`, `{late}`, `{lines}`, `{unchanged}`, `{updated}`.
    pub d_import: &'static str,
    /// `{day}`, `{late}`, `{missing}`.
    pub d_day_close: &'static str,
    /// `{units}`.
    pub d_tokens: &'static str,
    /// `{group}`, `{name}`.
    pub d_unit_add: &'static str,
    /// `{address}`.
    pub d_login: &'static str,
    pub active: &'static str,
    pub inactive: &'static str,
    pub whole_competition: &'static str,
    pub act_report_correct: &'static str,
    pub act_reports_import: &'static str,
    pub act_competition_apply: &'static str,
    pub act_competition_freeze: &'static str,
    pub act_competition_finalize: &'static str,
    pub act_competition_reopen: &'static str,
    pub act_day_close: &'static str,
    pub act_units_import: &'static str,
    pub act_units_tokens: &'static str,
    pub act_unit_add: &'static str,
    pub act_unit_update: &'static str,
    pub act_organizer_add: &'static str,
    pub act_organizer_login: &'static str,
    pub act_organizer_token: &'static str,
    pub act_integration_create: &'static str,
    pub act_integration_revoke: &'static str,
    pub act_organizer_token_revoke: &'static str,
    pub act_organizer_password: &'static str,
    pub act_organizer_grant: &'static str,
    pub act_organizer_withdraw: &'static str,
    pub reminders_title: &'static str,
    /// `{time}`.
    pub reminders_lead: &'static str,
    /// `{day}`.
    pub today_missing: &'static str,
    pub all_reported: &'static str,
    /// `{count}`, `{day}`, `{time}`.
    pub reminder_of: &'static str,
    pub delivery_sent: &'static str,
    pub delivery_none: &'static str,
    /// `{error}`.
    pub delivery_failed: &'static str,
    pub delivery_pending: &'static str,
    pub reported_since: &'static str,
    pub no_reminders: &'static str,
    pub enter_for: &'static str,
    pub import_title: &'static str,
    pub import_lead: &'static str,
    pub template_title: &'static str,
    pub template_button: &'static str,
    pub upload_title: &'static str,
    pub file_label: &'static str,
    pub import_reason: &'static str,
    pub import_submit: &'static str,
    pub import_all_or_nothing: &'static str,
    /// `{created}`, `{late}`, `{lines}`, `{unchanged}`, `{updated}`.
    pub import_done: &'static str,
    pub import_refused: &'static str,
    /// `{n}`.
    pub line_n: &'static str,
    pub no_file: &'static str,
    pub need_reason: &'static str,
    pub add_unit: &'static str,
    pub code: &'static str,
    pub name: &'static str,
    pub add: &'static str,
    pub units_hint: &'static str,
    pub name_group_state: &'static str,
    pub active_label: &'static str,
    pub save: &'static str,
    pub issued: &'static str,
    pub not_issued: &'static str,
    pub unit_added: &'static str,
    pub unit_saved: &'static str,
    pub correct_title: &'static str,
    /// `{date}`, `{n}`.
    pub day_option: &'static str,
    /// `{code}`, `{day}`, `{name}`.
    pub correct_for: &'static str,
    pub saved_unchanged: &'static str,
    /// `{n}`.
    pub saved_revision: &'static str,
    pub saved_late: &'static str,
    /// `{board}`, `{rank}`.
    pub rank_now: &'static str,
    pub unranked: &'static str,
    /// `{score}`.
    pub score_is: &'static str,
    pub final_refuses: &'static str,
    pub late_hint: &'static str,
    pub correct_reason: &'static str,
    pub save_figures: &'static str,
    /// `{day}`.
    pub revisions_of: &'static str,
    pub no_figures: &'static str,
    /// `{n}`.
    pub revision_n: &'static str,
    pub choose_hint: &'static str,
    pub need_reason_correct: &'static str,
    pub not_saved_reason: &'static str,
    pub invalid_form: &'static str,
}

const ADMIN_VI: AdminLabels = AdminLabels {
    nav_label: "Quản trị",
    nav_dashboard: "Tình hình báo cáo",
    nav_report: "Nhập/sửa số liệu",
    nav_import: "Nhập từ tệp",
    nav_reminders: "Nhắc hạn",
    nav_audit: "Nhật ký",
    nav_units: "Đơn vị",
    nav_integrations: "Tích hợp",
    integrations_hint: "Mã tích hợp cho phép hệ thống thông tin giải quyết thủ tục hành chính của tỉnh gửi số liệu của nhiều đơn vị trong một yêu cầu (POST /api/v1/reports/batch), theo đúng quy tắc và hạn chót như đơn vị tự báo cáo. Mỗi mã chỉ dùng cho cuộc thi này.",
    integrations_none: "Chưa cấp mã tích hợp nào.",
    integration_new: "Cấp mã tích hợp mới",
    integration_name: "Tên hệ thống",
    integration_issue: "Cấp mã",
    integration_issued: "Mã tích hợp mới",
    integration_created: "Cấp lúc",
    integration_last_used: "Dùng lần cuối",
    integration_revoke: "Thu hồi",
    integration_revoked: "Đã thu hồi mã tích hợp; mã cũ hết hiệu lực ngay.",
    integration_revoked_at: "Thu hồi lúc",
    nav_account: "Tài khoản",
    sign_out: "Đăng xuất",
    back: "Quay lại",
    board_link: "Bảng xếp hạng",
    unit: "Đơn vị",
    group: "Khối",
    day: "Ngày",
    all_groups: "Tất cả",
    filter: "Lọc",
    competition_choice: "Cuộc thi",
    competition_open: "Mở",
    open: "Mở",
    choose_unit: "— Chọn đơn vị —",
    reason: "Lý do",
    note: "Ghi chú",
    cancel: "Huỷ, quay lại",
    unit_code: "Mã đơn vị",
    unit_name: "Tên đơn vị",
    access_code: "Mã truy cập",
    login_title: "Đăng nhập Ban tổ chức",
    login_lead: "Dành cho cán bộ Sở Nội vụ theo dõi, nhập/sửa số liệu và công bố kết quả.",
    login_name: "Tên đăng nhập",
    login_password: "Mật khẩu",
    sign_in: "Đăng nhập",
    login_refused: "Tên đăng nhập hoặc mật khẩu không đúng.",
    status_open: "Đang diễn ra",
    status_frozen: "Bảng công khai đang đóng băng",
    status_final: "Đã có kết quả chính thức",
    frozen_at: "đóng băng lúc {time}",
    final_at: "kết quả chính thức lúc {time}",
    done_freeze: "Đã đóng băng bảng xếp hạng công khai.",
    done_finalize: "Đã công bố kết quả chính thức; bảng xếp hạng cuối cùng đã được lưu.",
    done_reopen: "Đã mở lại cuộc thi.",
    done_nothing: "Không có gì thay đổi (trạng thái đã như vậy).",
    done_reason: "Cần ghi lý do mở lại cuộc thi.",
    live_title: "Xếp hạng trực tiếp — {board}",
    live_hint: "Ban tổ chức luôn thấy số liệu mới nhất, kể cả khi bảng công khai đã đóng băng.",
    no_ranked: "Chưa có đơn vị nào được xếp hạng.",
    exports: "Kết xuất",
    print_link: "Bảng xếp hạng để in (A4)",
    exports_hint: "Khi đã công bố, các tệp dùng kết quả chính thức; trước đó là số liệu tạm tính.",
    renew_title: "Cấp lại mã truy cập",
    renew_hint: "Mã cũ của đơn vị hết hiệu lực ngay và phiên đăng nhập của đơn vị kết thúc. Mã mới chỉ hiển thị một lần: in thư gửi đơn vị.",
    renew_letter: "Cấp mã mới và in thư",
    renew_csv: "Cấp mã mới, tải CSV",
    renew_all_link: "Cấp lại mã cho tất cả đơn vị…",
    state_title: "Trạng thái cuộc thi",
    reopen_reason: "Lý do mở lại (bắt buộc)",
    reopen: "Mở lại cuộc thi",
    freeze_now: "Đóng băng bảng công khai ngay",
    unfreeze_reason: "Lý do bỏ đóng băng (bắt buộc)",
    unfreeze: "Bỏ đóng băng",
    finalize_button: "Công bố kết quả chính thức…",
    matrix_title: "Tình hình nộp báo cáo theo ngày",
    matrix_hint: "Bấm vào một ô để nhập hoặc sửa số liệu của đơn vị ngày đó.",
    st_on_time: "Đúng hạn",
    st_late: "Trễ hạn",
    st_corrected: "Đã sửa",
    st_missing: "Thiếu",
    st_pending: "Chưa nộp (còn hạn)",
    reported_missing: "Đã nộp / thiếu",
    finalize_title: "Công bố kết quả chính thức",
    finalize_units: "{units} đơn vị trên {boards} bảng xếp hạng sẽ có thứ hạng cố định. Sau khi công bố, số liệu không thể thay đổi, trừ khi mở lại cuộc thi với lý do.",
    finalize_early: "Tuần thi đua chưa kết thúc: hôm nay là ngày {n}/{total}, hạn chót cuối cùng là {deadline}. Công bố bây giờ sẽ chốt kết quả khi các đơn vị còn {left} ngày chưa báo cáo.",
    finalize_missing_today: "{missing} đơn vị chưa báo cáo ngày {day}.",
    finalize_confirm: "Tôi xác nhận công bố kết quả chính thức; sau đó số liệu không thể thay đổi.",
    finalize_confirm_early: "Tôi biết tuần thi đua chưa kết thúc và vẫn công bố sớm.",
    finalize_submit: "Công bố kết quả chính thức",
    finalize_already: "Kết quả đã được công bố.",
    finalize_needs_confirm: "Cần đánh dấu các ô xác nhận trước khi công bố.",
    renew_all_title: "Cấp lại mã cho tất cả đơn vị",
    renew_all_warning: "{units} đơn vị đang hoạt động sẽ nhận mã mới. Mã cũ của tất cả các đơn vị hết hiệu lực ngay lập tức, kể cả các hệ thống đang gửi số liệu qua API, và mọi phiên đăng nhập của đơn vị kết thúc. Trong tuần thi đua, các đơn vị sẽ không báo cáo được cho đến khi nhận thư mới.",
    renew_all_confirm: "Tôi xác nhận cấp lại mã cho cả {units} đơn vị.",
    renew_all_letters: "Cấp lại và in thư cho {units} đơn vị",
    renew_all_csv: "Cấp lại và tải CSV",
    renew_needs_confirm: "Chưa cấp lại: cần xác nhận số đơn vị (có thể số đơn vị vừa thay đổi).",
    renew_choose_unit: "Chọn đơn vị cần cấp lại mã.",
    issued_title: "Mã truy cập mới",
    issued_warning: "Các mã dưới đây chỉ hiển thị một lần. Hãy in thư hoặc tải tệp CSV và gửi cho từng đơn vị qua kênh an toàn. Mã cũ đã hết hiệu lực.",
    issued_csv: "Tải tệp CSV (code,token)",
    letters_title: "Thư cấp mã truy cập",
    letters_print: "In thư — mỗi đơn vị một trang A4 (Ctrl+P, hoặc \"Lưu dưới dạng PDF\")",
    audit_title: "Nhật ký thay đổi",
    audit_action: "Thao tác",
    any_action: "Mọi thao tác",
    any_unit: "Mọi đơn vị",
    audit_actor: "Người thực hiện",
    any_actor: "Mọi người",
    show_logins: "Hiện cả các lần đăng nhập",
    search: "Tìm",
    search_placeholder: "lý do, ghi chú…",
    when: "Thời gian",
    target: "Đối tượng",
    details: "Chi tiết",
    no_entries: "Không có mục nào.",
    newer: "← Mới hơn",
    older: "Cũ hơn →",
    page_of: "Trang {n}/{pages} · {count} mục",
    actor_system: "Hệ thống (tự động)",
    actor_cli: "Dòng lệnh (máy chủ)",
    d_correction: "Số liệu ngày {day}, lần cập nhật {revision}: {figures}",
    see_revisions: "Xem các lần cập nhật",
    d_import: "{lines} dòng: {created} mới, {updated} sửa, {unchanged} không đổi, {late} sau hạn",
    d_day_close: "Chốt ngày {day}: {missing} đơn vị không báo cáo, {late} đơn vị báo cáo sau hạn",
    d_tokens: "{units} đơn vị nhận mã truy cập mới",
    d_unit_add: "{name}, khối {group}",
    d_login: "Từ địa chỉ {address}",
    active: "đang hoạt động",
    inactive: "ngừng hoạt động",
    whole_competition: "Cả cuộc thi",
    act_report_correct: "Nhập/sửa số liệu thay đơn vị",
    act_reports_import: "Nhập số liệu từ tệp",
    act_competition_apply: "Cập nhật cuộc thi",
    act_competition_freeze: "Đóng băng bảng công khai",
    act_competition_finalize: "Công bố kết quả chính thức",
    act_competition_reopen: "Mở lại cuộc thi",
    act_day_close: "Chốt số liệu ngày",
    act_units_import: "Nạp danh sách đơn vị",
    act_units_tokens: "Cấp lại mã truy cập",
    act_unit_add: "Thêm đơn vị",
    act_unit_update: "Sửa thông tin đơn vị",
    act_organizer_add: "Tạo tài khoản Ban tổ chức",
    act_organizer_login: "Đăng nhập quản trị",
    act_organizer_token: "Cấp mã API cho Ban tổ chức",
    act_integration_create: "Cấp mã tích hợp",
    act_integration_revoke: "Thu hồi mã tích hợp",
    act_organizer_token_revoke: "Thu hồi mã API của Ban tổ chức",
    act_organizer_password: "Đổi mật khẩu Ban tổ chức",
    act_organizer_grant: "Giao cuộc thi cho Ban tổ chức",
    act_organizer_withdraw: "Thu hồi cuộc thi của Ban tổ chức",
    reminders_title: "Nhắc hạn báo cáo",
    reminders_lead: "Mỗi ngày thi đua lúc {time}, hệ thống ghi lại các đơn vị chưa báo cáo ngày đó và gửi danh sách tới webhook nếu có cấu hình.",
    today_missing: "Chưa báo cáo ngày {day} (lúc này)",
    all_reported: "Tất cả đơn vị đã báo cáo.",
    reminder_of: "Nhắc ngày {day}, lúc {time}: {count} đơn vị chưa báo cáo",
    delivery_sent: "Đã gửi tới webhook.",
    delivery_none: "Chưa cấu hình webhook: danh sách chỉ có ở trang này.",
    delivery_failed: "Gửi webhook không thành công: {error}",
    delivery_pending: "Đang gửi tới webhook…",
    reported_since: "đã báo cáo sau khi nhắc",
    no_reminders: "Chưa có lần nhắc nào.",
    enter_for: "Nhập thay",
    import_title: "Nhập số liệu từ tệp",
    import_lead: "Cho các đơn vị gửi số liệu trên giấy, qua thư điện tử hoặc sau hạn: tải mẫu, điền số liệu các đơn vị cần nhập (dòng để trống được bỏ qua), rồi tải lên kèm lý do.",
    template_title: "1. Tải mẫu",
    template_button: "Tải mẫu Excel",
    upload_title: "2. Tải tệp lên",
    file_label: "Tệp số liệu (XLSX hoặc CSV)",
    import_reason: "Lý do nhập (bắt buộc, ghi vào nhật ký)",
    import_submit: "Kiểm tra và nhập",
    import_all_or_nothing: "Cả tệp được kiểm tra trước: nếu có dòng sai thì không dòng nào được ghi.",
    import_done: "Đã nhập {lines} dòng: {created} mới, {updated} sửa, {unchanged} không đổi ({late} sau hạn).",
    import_refused: "Không dòng nào được ghi. Sửa các dòng sau rồi tải lên lại:",
    line_n: "Dòng {n}",
    no_file: "Chưa chọn tệp số liệu.",
    need_reason: "Cần ghi lý do nhập số liệu.",
    add_unit: "Thêm đơn vị",
    code: "Mã",
    name: "Tên",
    add: "Thêm",
    units_hint: "Đơn vị mới cần được cấp mã truy cập (trang Tình hình báo cáo). Không xoá đơn vị: bỏ chọn \"Hoạt động\" để ngừng.",
    name_group_state: "Tên, khối, trạng thái",
    active_label: "Hoạt động",
    save: "Lưu",
    issued: "Đã cấp",
    not_issued: "Chưa cấp",
    unit_added: "Đã thêm đơn vị.",
    unit_saved: "Đã lưu thông tin đơn vị.",
    correct_title: "Nhập/sửa số liệu thay đơn vị",
    day_option: "Ngày {n} — {date}",
    correct_for: "{name} ({code}) — ngày {day}",
    saved_unchanged: "Không thay đổi — số liệu giống bản hiện hành.",
    saved_revision: "Đã lưu lần cập nhật thứ {n}; đã ghi vào nhật ký.",
    saved_late: "(sau hạn chót)",
    rank_now: "Hạng hiện tại: {rank} trong bảng {board}",
    unranked: "Chưa được xếp hạng",
    score_is: "Điểm {score}",
    final_refuses: "Cuộc thi đã có kết quả chính thức: mọi thay đổi bị từ chối cho đến khi mở lại.",
    late_hint: "Đã quá hạn chót của ngày này: Ban tổ chức vẫn nhập/sửa được, bản ghi sẽ được đánh dấu trễ hạn.",
    correct_reason: "Lý do nhập/sửa (bắt buộc, ghi vào nhật ký)",
    save_figures: "Lưu số liệu",
    revisions_of: "Các lần cập nhật ngày {day}",
    no_figures: "Chưa có số liệu cho ngày này.",
    revision_n: "Lần {n}",
    choose_hint: "Chọn đơn vị và ngày, hoặc bấm vào một ô trong bảng tình hình báo cáo.",
    need_reason_correct: "Cần ghi lý do nhập/sửa số liệu",
    not_saved_reason: "Chưa lưu: cần ghi lý do.",
    invalid_form: "Số liệu chưa hợp lệ, vui lòng sửa các ô được đánh dấu.",
};

const ADMIN_EN: AdminLabels = AdminLabels {
    nav_label: "Administration",
    nav_dashboard: "Reporting status",
    nav_report: "Enter figures",
    nav_import: "Import a file",
    nav_reminders: "Reminders",
    nav_audit: "Audit log",
    nav_units: "Units",
    nav_integrations: "Integrations",
    integrations_hint: "An integration token lets the province's administrative-procedure information system post many units' figures in one request (POST /api/v1/reports/batch), under the same rules and deadline as a unit's own report. Each token works for this competition only.",
    integrations_none: "No integration token issued yet.",
    integration_new: "Issue a new integration token",
    integration_name: "System name",
    integration_issue: "Issue token",
    integration_issued: "New integration token",
    integration_created: "Issued",
    integration_last_used: "Last used",
    integration_revoke: "Revoke",
    integration_revoked: "Integration token revoked; it stops working at once.",
    integration_revoked_at: "Revoked",
    nav_account: "Account",
    sign_out: "Sign out",
    back: "Back",
    board_link: "Leaderboard",
    unit: "Unit",
    group: "Group",
    day: "Day",
    all_groups: "All",
    filter: "Filter",
    competition_choice: "Competition",
    competition_open: "Open",
    open: "Open",
    choose_unit: "— Choose a unit —",
    reason: "Reason",
    note: "Note",
    cancel: "Cancel and go back",
    unit_code: "Unit code",
    unit_name: "Unit name",
    access_code: "Access code",
    login_title: "Organiser sign-in",
    login_lead: "For the Department of Home Affairs staff who follow the reports, enter figures and publish the results.",
    login_name: "User name",
    login_password: "Password",
    sign_in: "Sign in",
    login_refused: "Wrong user name or password.",
    status_open: "Running",
    status_frozen: "Public board frozen",
    status_final: "Results are final",
    frozen_at: "frozen at {time}",
    final_at: "final since {time}",
    done_freeze: "The public board is frozen.",
    done_finalize: "The results are final; the final standings are stored.",
    done_reopen: "The competition is open again.",
    done_nothing: "Nothing changed (it already was so).",
    done_reason: "A reason is needed to re-open the competition.",
    live_title: "Live ranking — {board}",
    live_hint: "Organisers always see the latest figures, even while the public board is frozen.",
    no_ranked: "No unit is ranked yet.",
    exports: "Exports",
    print_link: "Ranking for printing (A4)",
    exports_hint: "Once the results are final the files carry them; before that, provisional figures.",
    renew_title: "Renew an access code",
    renew_hint: "The unit's old code stops working at once and its sign-ins end. The new code is shown only once: print the letter for the unit.",
    renew_letter: "New code and letter",
    renew_csv: "New code as CSV",
    renew_all_link: "Renew every unit's code…",
    state_title: "Competition state",
    reopen_reason: "Reason for re-opening (required)",
    reopen: "Re-open the competition",
    freeze_now: "Freeze the public board now",
    unfreeze_reason: "Reason for unfreezing (required)",
    unfreeze: "Unfreeze",
    finalize_button: "Publish the final results…",
    matrix_title: "Reports by day",
    matrix_hint: "Tap a cell to enter or correct that unit's figures for the day.",
    st_on_time: "On time",
    st_late: "Late",
    st_corrected: "Corrected",
    st_missing: "Missing",
    st_pending: "Not yet (still open)",
    reported_missing: "Reported / missing",
    finalize_title: "Publish the final results",
    finalize_units: "The standings of {units} units on {boards} boards become final. Afterwards figures can no longer change, unless the competition is re-opened with a reason.",
    finalize_early: "The week is not over: today is day {n} of {total} and the last deadline is {deadline}. Publishing now fixes the results while units still have {left} days to report.",
    finalize_missing_today: "{missing} units have not reported for {day}.",
    finalize_confirm: "I confirm publishing the final results; figures can no longer change afterwards.",
    finalize_confirm_early: "I know the week is not over and publish early anyway.",
    finalize_submit: "Publish the final results",
    finalize_already: "The results are already final.",
    finalize_needs_confirm: "Tick the confirmation boxes before publishing.",
    renew_all_title: "Renew every unit's code",
    renew_all_warning: "{units} active units get new codes. Every unit's old code stops working at once, including systems posting over the API, and every unit sign-in ends. During the week, units cannot report until they receive their new letters.",
    renew_all_confirm: "I confirm renewing the codes of all {units} units.",
    renew_all_letters: "Renew and print {units} letters",
    renew_all_csv: "Renew and download CSV",
    renew_needs_confirm: "Nothing renewed: confirm the number of units (it may just have changed).",
    renew_choose_unit: "Choose the unit whose code to renew.",
    issued_title: "New access codes",
    issued_warning: "These codes are shown only once. Print the letters or download the CSV and send each unit its code safely. The old codes no longer work.",
    issued_csv: "Download CSV (code,token)",
    letters_title: "Access letters",
    letters_print: "Print — one A4 page per unit (Ctrl+P, or \"Save as PDF\")",
    audit_title: "Audit log",
    audit_action: "Action",
    any_action: "Every action",
    any_unit: "Every unit",
    audit_actor: "Done by",
    any_actor: "Everyone",
    show_logins: "Include sign-ins",
    search: "Search",
    search_placeholder: "reason, note…",
    when: "When",
    target: "Concerning",
    details: "Details",
    no_entries: "No entries.",
    newer: "← Newer",
    older: "Older →",
    page_of: "Page {n} of {pages} · {count} entries",
    actor_system: "The system (scheduled)",
    actor_cli: "Command line (server)",
    d_correction: "Figures for {day}, revision {revision}: {figures}",
    see_revisions: "See every revision",
    d_import: "{lines} lines: {created} new, {updated} changed, {unchanged} unchanged, {late} late",
    d_day_close: "Closed {day}: {missing} units did not report, {late} reported late",
    d_tokens: "{units} units got new access codes",
    d_unit_add: "{name}, group {group}",
    d_login: "From {address}",
    active: "active",
    inactive: "inactive",
    whole_competition: "The whole competition",
    act_report_correct: "Figures entered for a unit",
    act_reports_import: "Figures imported from a file",
    act_competition_apply: "Competition updated",
    act_competition_freeze: "Public board frozen",
    act_competition_finalize: "Final results published",
    act_competition_reopen: "Competition re-opened",
    act_day_close: "Day closed",
    act_units_import: "Units loaded",
    act_units_tokens: "Access codes renewed",
    act_unit_add: "Unit added",
    act_unit_update: "Unit changed",
    act_organizer_add: "Organiser account created",
    act_organizer_login: "Organiser signed in",
    act_organizer_token: "Organiser API token issued",
    act_integration_create: "Integration token issued",
    act_integration_revoke: "Integration token revoked",
    act_organizer_token_revoke: "Organiser API token revoked",
    act_organizer_password: "Organiser password changed",
    act_organizer_grant: "Competition granted to an organiser",
    act_organizer_withdraw: "Competition withdrawn from an organiser",
    reminders_title: "Reporting reminders",
    reminders_lead: "Every competition day at {time} the service lists the units that have not reported that day, and posts the list to the webhook if one is set.",
    today_missing: "Not yet reported for {day} (now)",
    all_reported: "Every unit has reported.",
    reminder_of: "Reminder for {day}, at {time}: {count} units had not reported",
    delivery_sent: "Posted to the webhook.",
    delivery_none: "No webhook set: the list is on this page only.",
    delivery_failed: "The webhook failed: {error}",
    delivery_pending: "Posting to the webhook…",
    reported_since: "has reported since",
    no_reminders: "No reminder yet.",
    enter_for: "Enter for them",
    import_title: "Import figures from a file",
    import_lead: "For units that sent figures on paper, by e-mail or late: download the template, fill in the units you have figures for (blank rows are skipped), then upload it with a reason.",
    template_title: "1. Download the template",
    template_button: "Download the Excel template",
    upload_title: "2. Upload the file",
    file_label: "Figures file (XLSX or CSV)",
    import_reason: "Reason (required, recorded in the audit log)",
    import_submit: "Check and import",
    import_all_or_nothing: "The whole file is checked first: if any line is wrong, nothing is written.",
    import_done: "Imported {lines} lines: {created} new, {updated} changed, {unchanged} unchanged ({late} late).",
    import_refused: "Nothing was written. Fix these lines and upload the file again:",
    line_n: "Line {n}",
    no_file: "No file chosen.",
    need_reason: "A reason is needed.",
    add_unit: "Add a unit",
    code: "Code",
    name: "Name",
    add: "Add",
    units_hint: "A new unit needs an access code (Reporting status page). Units are never deleted: untick \"Active\" to stop one.",
    name_group_state: "Name, group, state",
    active_label: "Active",
    save: "Save",
    issued: "Issued",
    not_issued: "Not issued",
    unit_added: "Unit added.",
    unit_saved: "Unit saved.",
    correct_title: "Enter or correct a unit's figures",
    day_option: "Day {n} — {date}",
    correct_for: "{name} ({code}) — {day}",
    saved_unchanged: "Unchanged — identical to the current figures.",
    saved_revision: "Saved as revision {n}; recorded in the audit log.",
    saved_late: "(after the deadline)",
    rank_now: "Current rank: {rank} on {board}",
    unranked: "Not ranked yet",
    score_is: "Score {score}",
    final_refuses: "The results are final: every change is refused until the competition is re-opened.",
    late_hint: "This day's deadline has passed: organisers can still enter figures, marked late.",
    correct_reason: "Reason (required, recorded in the audit log)",
    save_figures: "Save the figures",
    revisions_of: "Revisions for {day}",
    no_figures: "No figures for this day yet.",
    revision_n: "Revision {n}",
    choose_hint: "Choose a unit and a day, or tap a cell of the reporting-status matrix.",
    need_reason_correct: "A reason is needed",
    not_saved_reason: "Not saved: a reason is needed.",
    invalid_form: "Some figures are not valid; please fix the marked fields.",
};

impl Lang {
    pub fn admin(self) -> &'static AdminLabels {
        match self {
            Lang::Vi => &ADMIN_VI,
            Lang::En => &ADMIN_EN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_group_thousands_in_each_language() {
        assert_eq!(Lang::Vi.count(0), "0");
        assert_eq!(Lang::Vi.count(999), "999");
        assert_eq!(Lang::Vi.count(3321), "3.321");
        assert_eq!(Lang::En.count(10_000), "10,000");
        assert_eq!(Lang::En.count(1_234_567), "1,234,567");
    }

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
