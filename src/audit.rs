//! The audit log's vocabulary: what an organiser, the command line or the
//! scheduler did, to what, and why. [`crate::store::Store::audit`] is the one
//! writer; an organiser's correction is written in the same transaction as
//! its revision.

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// Every action the audit log records. The stored name (`as_str`) is what
/// the `audit_log.action` column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditAction {
    #[serde(rename = "report.correct")]
    ReportCorrect,
    #[serde(rename = "reports.import")]
    ReportsImport,
    #[serde(rename = "competition.apply")]
    CompetitionApply,
    #[serde(rename = "competition.freeze")]
    CompetitionFreeze,
    #[serde(rename = "competition.finalize")]
    CompetitionFinalize,
    #[serde(rename = "competition.reopen")]
    CompetitionReopen,
    #[serde(rename = "day.close")]
    DayClose,
    #[serde(rename = "units.import")]
    UnitsImport,
    #[serde(rename = "units.tokens")]
    UnitsTokens,
    #[serde(rename = "unit.add")]
    UnitAdd,
    #[serde(rename = "unit.update")]
    UnitUpdate,
    #[serde(rename = "organizer.add")]
    OrganizerAdd,
    #[serde(rename = "organizer.login")]
    OrganizerLogin,
    #[serde(rename = "organizer.token")]
    OrganizerToken,
    #[serde(rename = "integration.create")]
    IntegrationCreate,
    #[serde(rename = "integration.revoke")]
    IntegrationRevoke,
    #[serde(rename = "organizer.token_revoke")]
    OrganizerTokenRevoke,
    #[serde(rename = "organizer.password")]
    OrganizerPassword,
    #[serde(rename = "organizer.grant")]
    OrganizerGrant,
    #[serde(rename = "organizer.withdraw")]
    OrganizerWithdraw,
}

impl AuditAction {
    pub const ALL: [AuditAction; 20] = [
        AuditAction::ReportCorrect,
        AuditAction::ReportsImport,
        AuditAction::CompetitionApply,
        AuditAction::CompetitionFreeze,
        AuditAction::CompetitionFinalize,
        AuditAction::CompetitionReopen,
        AuditAction::DayClose,
        AuditAction::UnitsImport,
        AuditAction::UnitsTokens,
        AuditAction::UnitAdd,
        AuditAction::UnitUpdate,
        AuditAction::OrganizerAdd,
        AuditAction::OrganizerLogin,
        AuditAction::OrganizerToken,
        AuditAction::IntegrationCreate,
        AuditAction::IntegrationRevoke,
        AuditAction::OrganizerTokenRevoke,
        AuditAction::OrganizerPassword,
        AuditAction::OrganizerGrant,
        AuditAction::OrganizerWithdraw,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::ReportCorrect => "report.correct",
            AuditAction::ReportsImport => "reports.import",
            AuditAction::CompetitionApply => "competition.apply",
            AuditAction::CompetitionFreeze => "competition.freeze",
            AuditAction::CompetitionFinalize => "competition.finalize",
            AuditAction::CompetitionReopen => "competition.reopen",
            AuditAction::DayClose => "day.close",
            AuditAction::UnitsImport => "units.import",
            AuditAction::UnitsTokens => "units.tokens",
            AuditAction::UnitAdd => "unit.add",
            AuditAction::UnitUpdate => "unit.update",
            AuditAction::OrganizerAdd => "organizer.add",
            AuditAction::OrganizerLogin => "organizer.login",
            AuditAction::OrganizerToken => "organizer.token",
            AuditAction::IntegrationCreate => "integration.create",
            AuditAction::IntegrationRevoke => "integration.revoke",
            AuditAction::OrganizerTokenRevoke => "organizer.token_revoke",
            AuditAction::OrganizerPassword => "organizer.password",
            AuditAction::OrganizerGrant => "organizer.grant",
            AuditAction::OrganizerWithdraw => "organizer.withdraw",
        }
    }

    pub fn parse(text: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == text)
    }

    /// What people call the action on the audit page, in their language.
    pub fn label(self, lang: Lang) -> &'static str {
        let l = lang.admin();
        match self {
            AuditAction::ReportCorrect => l.act_report_correct,
            AuditAction::ReportsImport => l.act_reports_import,
            AuditAction::CompetitionApply => l.act_competition_apply,
            AuditAction::CompetitionFreeze => l.act_competition_freeze,
            AuditAction::CompetitionFinalize => l.act_competition_finalize,
            AuditAction::CompetitionReopen => l.act_competition_reopen,
            AuditAction::DayClose => l.act_day_close,
            AuditAction::UnitsImport => l.act_units_import,
            AuditAction::UnitsTokens => l.act_units_tokens,
            AuditAction::UnitAdd => l.act_unit_add,
            AuditAction::UnitUpdate => l.act_unit_update,
            AuditAction::OrganizerAdd => l.act_organizer_add,
            AuditAction::OrganizerLogin => l.act_organizer_login,
            AuditAction::OrganizerToken => l.act_organizer_token,
            AuditAction::IntegrationCreate => l.act_integration_create,
            AuditAction::IntegrationRevoke => l.act_integration_revoke,
            AuditAction::OrganizerTokenRevoke => l.act_organizer_token_revoke,
            AuditAction::OrganizerPassword => l.act_organizer_password,
            AuditAction::OrganizerGrant => l.act_organizer_grant,
            AuditAction::OrganizerWithdraw => l.act_organizer_withdraw,
        }
    }
}

/// The actor the audit log names for what the scheduler does.
pub const SYSTEM: &str = "system";

/// The actor the audit log names for what the command line does.
pub const CLI: &str = "cli";

/// One line of the audit log: who did what to what, and why.
#[derive(Debug, Clone)]
pub struct Audit {
    pub competition_id: Option<i64>,
    pub actor: String,
    pub action: AuditAction,
    pub target: Option<String>,
    pub reason: Option<String>,
    /// A JSON object with what the action changed, for people and exports.
    pub details: Option<String>,
}

impl Audit {
    pub fn new(action: AuditAction, actor: &str) -> Audit {
        Audit {
            competition_id: None,
            actor: actor.to_string(),
            action,
            target: None,
            reason: None,
            details: None,
        }
    }

    pub fn competition(mut self, id: i64) -> Audit {
        self.competition_id = Some(id);
        self
    }

    pub fn target(mut self, target: &str) -> Audit {
        self.target = Some(target.to_string());
        self
    }

    pub fn reason(mut self, reason: &str) -> Audit {
        self.reason = Some(reason.to_string());
        self
    }

    /// Stores `details` as a JSON object beside the entry.
    pub fn details(mut self, details: &impl Serialize) -> Audit {
        self.details = serde_json::to_string(details).ok();
        self
    }
}
