//! Exports of the standings (SPEC §12) for the organiser: XLSX for Excel
//! ([`xlsx`]), CSV that a spreadsheet with Vietnamese or English regional
//! settings opens as numbers ([`csv`]), JSON ([`json`]) and a PDF of the
//! ranking ([`pdf`]). The same bytes serve the admin endpoint, the
//! admin page and `thidua export`.
//!
//! The source is the final standings once the competition is final, else
//! the live boards as organisers see them, marked provisional ("TẠM TÍNH").
//! Unit names and every other supplied text go into cells as strings, never
//! as formulas: a name such as `=HYPERLINK(…)` stays literal text.
//!
//! The XLSX and the PDF are administrative documents (Nghị định
//! 30/2020/NĐ-CP): the issuing body and the national heading on top, the
//! place and date line, the title, the table, then "Nơi nhận" and the
//! signer's block — all from the competition file's `[document]` table.

pub mod csv;
pub mod json;
pub mod pdf;
pub mod xlsx;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::boards::Boards;
use crate::catalog::Selected;
use crate::competition::{Competition, Document};
use crate::error::{AppError, Result};
use crate::leaderboard::Leaderboard;
use crate::scoring::UnrankedReason;
use crate::store::Store;

pub use self::csv::{CsvLocale, csv_text};

pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The national heading (Quốc hiệu) and motto (tiêu ngữ) of every
/// administrative document.
pub const NATION: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
pub const MOTTO: &str = "Độc lập - Tự do - Hạnh phúc";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Xlsx,
    Csv(CsvLocale),
    Json,
    Pdf,
}

impl ExportFormat {
    /// `xlsx`, `csv`, `json` or `pdf`; a CSV is Vietnamese-style until
    /// [`ExportFormat::with_locale`] says otherwise.
    pub fn parse(text: &str) -> Option<ExportFormat> {
        match text.trim().to_ascii_lowercase().as_str() {
            "xlsx" => Some(ExportFormat::Xlsx),
            "csv" => Some(ExportFormat::Csv(CsvLocale::Vi)),
            "json" => Some(ExportFormat::Json),
            "pdf" => Some(ExportFormat::Pdf),
            _ => None,
        }
    }

    /// The CSV for a spreadsheet's regional settings (`vi` or `en`); other
    /// formats are the same in every locale. `None` for an unknown locale.
    pub fn with_locale(self, locale: Option<&str>) -> Option<ExportFormat> {
        match (self, locale) {
            (format, None) => Some(format),
            (ExportFormat::Csv(_), Some(text)) => CsvLocale::parse(text).map(ExportFormat::Csv),
            (format, Some(text)) => CsvLocale::parse(text).map(|_| format),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv(_) => "csv",
            ExportFormat::Json => "json",
            ExportFormat::Pdf => "pdf",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => XLSX_TYPE,
            ExportFormat::Csv(_) => "text/csv; charset=utf-8",
            ExportFormat::Json => "application/json",
            ExportFormat::Pdf => "application/pdf",
        }
    }
}

/// A finished export file.
pub struct Export {
    pub format: ExportFormat,
    /// ASCII file name, e.g. `lang-son-2025-ket-qua-chinh-thuc.xlsx`.
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// Every board of a competition, as exported: the results.
pub struct Results {
    pub selected: Selected,
    pub is_final: bool,
    pub boards: Vec<Leaderboard>,
    pub exported_at: DateTime<Utc>,
}

impl Results {
    pub fn competition(&self) -> &Competition {
        &self.selected.record.competition
    }

    pub fn document(&self) -> &Document {
        &self.competition().document
    }

    fn tz(&self) -> Tz {
        self.competition().timezone
    }

    pub fn status_label(&self) -> &'static str {
        if self.is_final {
            "KẾT QUẢ CHÍNH THỨC"
        } else {
            "TẠM TÍNH"
        }
    }

    /// The local day of the export: the document's date.
    pub fn exported_day(&self) -> NaiveDate {
        self.exported_at.with_timezone(&self.tz()).date_naive()
    }

    /// "Lạng Sơn, ngày 06 tháng 10 năm 2025".
    pub fn place_and_date(&self) -> String {
        self.document().place_and_date(self.exported_day())
    }

    /// "Xuất lúc 10:00 ngày 06/10/2025": when the figures were read.
    pub fn exported_line(&self) -> String {
        let local = self.exported_at.with_timezone(&self.tz());
        format!("Xuất lúc {}", local.format("%H:%M ngày %d/%m/%Y"))
    }

    pub fn dates(&self) -> String {
        let c = self.competition();
        format!(
            "Từ ngày {} đến ngày {}",
            c.start_date.format("%d/%m/%Y"),
            c.end_date.format("%d/%m/%Y")
        )
    }

    fn group_name(&self, code: &str) -> String {
        self.competition().group_name(code).to_string()
    }
}

/// The whole-period board of every board of the competition.
pub async fn results(boards: &Boards, selected: &Selected) -> Result<Results> {
    Ok(Results {
        selected: selected.clone(),
        is_final: selected.record.is_final(),
        boards: boards.every_board(selected).await?,
        exported_at: boards.now(),
    })
}

/// Builds an export of `selected` in `format`.
pub async fn export(
    boards: &Boards,
    store: &Store,
    selected: &Selected,
    format: ExportFormat,
) -> Result<Export> {
    let results = results(boards, selected).await?;
    let bytes = match format {
        ExportFormat::Xlsx => {
            let daily = store.reports(selected.record.id).await?;
            let corrections = store.corrections(selected.record.id).await?;
            crate::cpu::heavy(|| xlsx::workbook(&results, &daily, &corrections))
                .map_err(|e| AppError::Internal(e.into()))?
        }
        ExportFormat::Csv(locale) => crate::cpu::heavy(|| csv::csv(&results, locale))?,
        ExportFormat::Json => crate::cpu::heavy(|| json::json(&results))?,
        ExportFormat::Pdf => crate::cpu::heavy(|| pdf::ranking(&results))?,
    };
    let kind = if results.is_final {
        "ket-qua-chinh-thuc"
    } else {
        "tam-tinh"
    };
    Ok(Export {
        format,
        filename: format!(
            "{}-{kind}.{}",
            selected.record.competition.slug,
            format.extension()
        ),
        bytes,
    })
}

/// Why a unit has no rank, as a clerk writes it.
pub fn reason_label(reason: UnrankedReason) -> &'static str {
    match reason {
        UnrankedReason::NoReports => "Chưa báo cáo",
        UnrankedReason::NoDossiers => "Không phát sinh hồ sơ",
    }
}
