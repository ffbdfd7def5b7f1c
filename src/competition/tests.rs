use super::*;

const LANG_SON: &str = include_str!("../../data/lang-son-2025.toml");

#[test]
fn the_lang_son_file_is_valid() {
    let c = Competition::parse(LANG_SON).unwrap();
    assert_eq!(c.slug, "lang-son-2025");
    assert_eq!(c.counters.len(), 6);
    assert_eq!(c.criteria.len(), 3);
    assert_eq!(c.day_count(), 5);
    assert_eq!(c.rules.grades[0].min_score_bp, 9000);
    assert_eq!(c.boards(), ["all", "so-nganh", "xa-phuong"]);
    // Figures for 6/10 are accepted until 7/10 09:00 in Hà Nội = 02:00 UTC.
    let d = NaiveDate::from_ymd_opt(2025, 10, 6).unwrap();
    assert_eq!(c.deadline(d).to_rfc3339(), "2025-10-07T02:00:00+00:00");
}

fn with(edit: impl Fn(&mut CompetitionFile)) -> Result<Competition, DefinitionError> {
    let mut f = CompetitionFile::parse(LANG_SON).unwrap();
    edit(&mut f);
    f.validate()
}

#[test]
fn errors_name_the_offending_key() {
    type Edit = Box<dyn Fn(&mut CompetitionFile)>;
    let cases: Vec<(&str, Edit)> = vec![
        ("slug", Box::new(|f| f.slug = "Lạng Sơn".into())),
        ("name", Box::new(|f| f.name = " ".into())),
        ("timezone", Box::new(|f| f.timezone = "Mars/Base".into())),
        (
            "end_date",
            Box::new(|f| f.end_date = f.start_date.pred_opt().unwrap()),
        ),
        ("deadline.time", Box::new(|f| f.deadline.time = "9h".into())),
        ("groups", Box::new(|f| f.groups.clear())),
        (
            "counters[1].key",
            Box::new(|f| f.counters[1].key = "received".into()),
        ),
        (
            "criteria[0].numerator",
            Box::new(|f| f.criteria[0].numerator = "x".into()),
        ),
        (
            "criteria[2].target_percent",
            Box::new(|f| f.criteria[2].target_percent = 0),
        ),
        ("criteria[1].weight", Box::new(|f| f.criteria[1].weight = 0)),
        (
            "tie_breakers[0]",
            Box::new(|f| f.tie_breakers = vec!["nope".into()]),
        ),
        (
            "grades[0].min_score",
            Box::new(|f| f.grades[0].min_score = 90.125),
        ),
        ("freeze_at", Box::new(|f| f.freeze_at = Some("soon".into()))),
    ];
    for (key, edit) in cases {
        let err = with(edit).unwrap_err();
        assert_eq!(err.key, key, "{err}");
    }
}

#[test]
fn unknown_keys_are_refused() {
    let text = LANG_SON.replace("auto_finalize = true", "auto_finalise = true");
    let err = CompetitionFile::parse(&text).unwrap_err();
    assert!(err.message.contains("auto_finalise"), "{err}");
}

#[test]
fn freeze_at_accepts_offset_and_local_forms() {
    let a = with(|f| f.freeze_at = Some("2025-10-10T12:00:00+07:00".into())).unwrap();
    let b = with(|f| f.freeze_at = Some("2025-10-10T12:00".into())).unwrap();
    assert_eq!(a.freeze_at, b.freeze_at);
    assert!(with(|f| f.freeze_at = Some("2025-10-01T12:00".into())).is_err());
}

#[test]
fn the_lang_son_document_is_signed_by_a_deputy_director() {
    let c = Competition::parse(LANG_SON).unwrap();
    assert_eq!(c.document.issuer, ["UBND TỈNH LẠNG SƠN", "SỞ NỘI VỤ"]);
    assert_eq!(c.document.signer_title, ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]);
    assert_eq!(c.document.signer_name.as_deref(), Some("Nguyễn Văn A"));
    assert_eq!(c.document.recipients.last().unwrap(), "Lưu: VT, CCVC&TĐKT.");
    let d = NaiveDate::from_ymd_opt(2025, 10, 6).unwrap();
    assert_eq!(
        c.document.place_and_date(d),
        "Lạng Sơn, ngày 06 tháng 10 năm 2025"
    );
}

#[test]
fn the_document_defaults_come_from_the_organiser() {
    let c = with(|f| f.document = None).unwrap();
    assert_eq!(c.document.issuer, ["UBND TỈNH LẠNG SƠN", "SỞ NỘI VỤ"]);
    assert_eq!(c.document.place.as_deref(), Some("Lạng Sơn"));
    assert_eq!(c.document.signer_title, ["GIÁM ĐỐC"]);
    assert_eq!(c.document.signer_name, None);
    assert_eq!(c.document.recipients, ["Lưu: VT."]);

    let c = with(|f| {
        f.document = None;
        f.organizer = "Ban Thi đua - Khen thưởng".into();
    })
    .unwrap();
    assert_eq!(c.document.issuer, ["BAN THI ĐUA - KHEN THƯỞNG"]);
    assert_eq!(c.document.place, None);
    assert_eq!(c.document.signer_title, ["TRƯỞNG BAN"]);
    // January and February keep their leading zero; October has none to drop.
    let d = NaiveDate::from_ymd_opt(2026, 2, 5).unwrap();
    assert_eq!(c.document.place_and_date(d), "Ngày 05 tháng 02 năm 2026");
    let d = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
    assert_eq!(c.document.place_and_date(d), "Ngày 09 tháng 3 năm 2026");
}

#[test]
fn a_document_line_may_be_a_string_or_a_list() {
    let text = LANG_SON.replace(
        r#"signer_title = ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]"#,
        r#"signer_title = "GIÁM ĐỐC""#,
    );
    assert_ne!(text, LANG_SON);
    let c = Competition::parse(&text).unwrap();
    assert_eq!(c.document.signer_title, ["GIÁM ĐỐC"]);
}

#[test]
fn document_errors_name_the_offending_key() {
    type Edit = Box<dyn Fn(&mut DocumentFile)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "document.issuer",
            Box::new(|d| d.issuer = Some(vec!["A".into(); 4])),
        ),
        (
            "document.issuer[1]",
            Box::new(|d| d.issuer = Some(vec!["UBND TỈNH".into(), " ".into()])),
        ),
        (
            "document.place",
            Box::new(|d| d.place = Some(String::new())),
        ),
        (
            "document.signer_title",
            Box::new(|d| d.signer_title = Some(Vec::new())),
        ),
        (
            "document.signer_name",
            Box::new(|d| d.signer_name = Some("x".repeat(201))),
        ),
        (
            "document.recipients[0]",
            Box::new(|d| d.recipients = Some(vec!["".into()])),
        ),
    ];
    for (key, edit) in cases {
        let err = with(|f| edit(f.document.get_or_insert_with(Default::default))).unwrap_err();
        assert_eq!(err.key, key, "{err}");
    }
    let err = CompetitionFile::parse(&LANG_SON.replace("signer_name =", "signer =")).unwrap_err();
    assert!(err.message.contains("signer"), "{err}");
}

#[test]
fn the_document_is_not_a_scoring_change() {
    let before = Competition::parse(LANG_SON).unwrap();
    let after = with(|f| {
        let d = f.document.get_or_insert_with(Default::default);
        d.signer_title = Some(vec!["GIÁM ĐỐC".into()]);
        d.signer_name = Some("Trần Thị B".into());
    })
    .unwrap();
    assert_ne!(before.file, after.file);
    assert!(!before.scoring_differs(&after));
    assert!(!before.differs_beyond_document(&after));
    let renamed = with(|f| f.name = "Tuần lễ khác".into()).unwrap();
    assert!(before.differs_beyond_document(&renamed));
}

#[test]
fn a_file_without_a_document_is_stored_as_before() {
    let c = with(|f| f.document = None).unwrap();
    let stored = serde_json::to_value(&c.file).unwrap();
    assert!(stored.get("document").is_none(), "{stored}");
    let c = Competition::parse(LANG_SON).unwrap();
    let stored = serde_json::to_string(&c.file).unwrap();
    let again: CompetitionFile = serde_json::from_str(&stored).unwrap();
    assert_eq!(again, c.file);
}
