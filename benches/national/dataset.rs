//! The national data set: the real 3,321 communes and wards of the 34
//! provinces (official codes, one board per province), departments per
//! province up to the requested number of units, and one report per
//! unit-day with 5% of them revised once.
//!
//! Everything is derived from a fixed seed, so every run of the benchmark
//! (and both databases within a run) sees the same figures.

use std::collections::HashMap;
use std::fmt::Write as _;

use anyhow::{Context, bail};
use chrono::{Duration, NaiveDate, NaiveTime};

const COMMUNES: &str = include_str!("../../data/vietnam-communes-2025.csv");
const PROVINCES: &str = include_str!("../../data/vietnam-provinces-2025.csv");

pub const SLUG: &str = "quoc-gia-2025";
/// The day the benchmark's competition starts (the real week of 10/10 falls inside).
const START: (i32, u32, u32) = (2025, 10, 1);
/// Percentage of reports that get a second revision.
const REVISED_PERCENT: u64 = 5;

/// Counter keys in the order serde writes a `BTreeMap` (alphabetical), so
/// the stored JSON has the same bytes the service would write.
pub const COUNTER_KEYS: [&str; 6] = [
    "fee_required",
    "paid_online",
    "received",
    "received_online",
    "results_issued",
    "results_signed",
];
/// Index of `received` in [`COUNTER_KEYS`]: the benchmark's posts raise it
/// by one each time, which the freshness check of row 1b counts on.
pub const RECEIVED: usize = 2;

pub type Counters = [u64; 6];

pub fn counters_json(c: &Counters) -> String {
    let mut s = String::from("{");
    for (i, (k, v)) in COUNTER_KEYS.iter().zip(c).enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "\"{k}\":{v}");
    }
    s.push('}');
    s
}

pub struct Province {
    pub code: String,
    pub name: String,
    pub group: String,
    /// "tỉnh Cao Bằng", "thành phố Hà Nội": how a department names its province.
    pub place: String,
}

pub struct UnitDef {
    pub code: String,
    pub name: String,
    pub group: String,
    pub commune: bool,
}

pub struct DataSet {
    pub provinces: Vec<Province>,
    pub units: Vec<UnitDef>,
    pub days: u32,
}

/// One stored report with its revisions, as written to the database.
pub struct ReportRow<'a> {
    pub id: i64,
    pub unit_id: i64,
    pub unit: &'a UnitDef,
    pub day: NaiveDate,
    /// Counters and creation time (unix ms) of each revision, oldest first,
    /// with the id each revision gets.
    pub revisions: Vec<(i64, Counters, i64)>,
}

/// What the database holds for the last day after loading: the state the
/// benchmark's posts start from.
#[derive(Clone)]
pub struct LastDay {
    pub report_id: i64,
    pub revision: i64,
    pub counters: Counters,
}

/// Departments of a province (the first ones are the real agencies, the
/// rest their branch offices); `{p}` is the province.
const DEPARTMENTS: [&str; 20] = [
    "Sở Nội vụ {p}",
    "Sở Tài chính {p}",
    "Sở Xây dựng {p}",
    "Sở Nông nghiệp và Môi trường {p}",
    "Sở Khoa học và Công nghệ {p}",
    "Sở Dân tộc và Tôn giáo {p}",
    "Sở Công Thương {p}",
    "Sở Tư pháp {p}",
    "Sở Y tế {p}",
    "Sở Giáo dục và Đào tạo {p}",
    "Sở Văn hóa, Thể thao và Du lịch {p}",
    "Sở Ngoại vụ {p}",
    "Thanh tra {p}",
    "Văn phòng Ủy ban nhân dân {p}",
    "Trung tâm Phục vụ hành chính công {p}",
    "Công an {p}",
    "Bảo hiểm xã hội {p}",
    "Thuế {p}",
    "Kho bạc Nhà nước {p}",
    "Ban Quản lý các khu công nghiệp {p}",
];
const BRANCHES: [&str; 5] = [
    "Chi nhánh Văn phòng đăng ký đất đai số {n}, {p}",
    "Điểm tiếp nhận và trả kết quả số {n}, Trung tâm Phục vụ hành chính công {p}",
    "Đội Cảnh sát quản lý hành chính về trật tự xã hội số {n}, Công an {p}",
    "Thuế cơ sở số {n}, {p}",
    "Bảo hiểm xã hội cơ sở số {n}, {p}",
];

impl DataSet {
    /// `units` units over `days` days. At or above 3,321 units: every
    /// commune and ward plus departments spread evenly over the provinces;
    /// below: communes taken round-robin over the provinces, so that every
    /// province keeps a board.
    pub fn national(units: usize, days: u32) -> anyhow::Result<DataSet> {
        if !(1..=366).contains(&days) {
            bail!("--days must be 1 to 366");
        }
        let mut provinces = Vec::new();
        let mut reader = csv::Reader::from_reader(PROVINCES.as_bytes());
        for row in reader.records() {
            let row = row.context("provinces CSV")?;
            let name = row[1].to_string();
            let place = match name.strip_prefix("Thành phố ") {
                Some(city) => format!("thành phố {city}"),
                None => format!("tỉnh {name}"),
            };
            provinces.push(Province {
                code: row[0].to_string(),
                name,
                group: row[2].to_string(),
                place,
            });
        }
        let mut communes: HashMap<String, Vec<UnitDef>> = HashMap::new();
        let mut total = 0;
        let mut reader = csv::Reader::from_reader(COMMUNES.as_bytes());
        for row in reader.records() {
            let row = row.context("communes CSV")?;
            communes
                .entry(row[2].to_string())
                .or_default()
                .push(UnitDef {
                    code: row[0].to_string(),
                    name: row[1].to_string(),
                    group: row[2].to_string(),
                    commune: true,
                });
            total += 1;
        }
        if units < provinces.len() {
            bail!("--units must be at least {}", provinces.len());
        }
        let mut chosen = Vec::with_capacity(units);
        if units >= total {
            let extra = units - total;
            for (i, p) in provinces.iter().enumerate() {
                chosen.append(
                    communes
                        .get_mut(&p.group)
                        .context("province without communes")?,
                );
                let count = extra / provinces.len() + usize::from(i < extra % provinces.len());
                for j in 0..count {
                    chosen.push(department(p, j));
                }
            }
        } else {
            let mut queues: Vec<std::vec::IntoIter<UnitDef>> = provinces
                .iter()
                .map(|p| communes.remove(&p.group).unwrap_or_default().into_iter())
                .collect();
            'fill: loop {
                for q in &mut queues {
                    if chosen.len() == units {
                        break 'fill;
                    }
                    if let Some(u) = q.next() {
                        chosen.push(u);
                    }
                }
            }
        }
        Ok(DataSet {
            provinces,
            units: chosen,
            days,
        })
    }

    pub fn start(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(START.0, START.1, START.2).unwrap_or_default()
    }

    pub fn last_day(&self) -> NaiveDate {
        self.start() + Duration::days(i64::from(self.days) - 1)
    }

    /// The service's clock: the last competition day at 10:00, after the
    /// previous day's deadline, so every earlier day is closed (and
    /// snapshotted) and the last day is open for posts for 23 hours.
    pub fn now(&self) -> String {
        format!("{}T10:00:00+07:00", self.last_day().format("%Y-%m-%d"))
    }

    pub fn competition_toml(&self) -> String {
        let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
        let mut t = String::new();
        let _ = writeln!(
            t,
            "# The national benchmark competition (generated by benches/national).\n\
             slug = {}\nname = {}\norganizer = {}\ntimezone = \"Asia/Ho_Chi_Minh\"\n\
             start_date = \"{}\"\nend_date = \"{}\"\n\
             deadline = {{ days_after = 1, time = \"09:00\" }}\nauto_finalize = true\ntie_breakers = []\n",
            quote(SLUG),
            quote("Tuần lễ thi đua thực hiện dịch vụ công trực tuyến toàn quốc năm 2025"),
            quote("Bộ Nội vụ"),
            self.start().format("%Y-%m-%d"),
            self.last_day().format("%Y-%m-%d"),
        );
        for p in &self.provinces {
            let _ = writeln!(
                t,
                "[[groups]]\ncode = {}\nname = {}\n",
                quote(&p.group),
                quote(&p.name)
            );
        }
        t.push_str(COUNTERS_AND_CRITERIA);
        t
    }

    pub fn units_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(["code", "name", "group"]);
        for u in &self.units {
            let _ = w.write_record([&u.code, &u.name, &u.group]);
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    /// Units per board, largest first.
    pub fn board_sizes(&self) -> Vec<(String, usize)> {
        let mut sizes: Vec<(String, usize)> = self
            .provinces
            .iter()
            .map(|p| {
                let n = self.units.iter().filter(|u| u.group == p.group).count();
                (p.group.clone(), n)
            })
            .collect();
        sizes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        sizes
    }

    /// Every report in id order; `unit_ids` maps unit codes to database ids.
    /// Report ids and revision ids count from 1, in this order.
    pub fn for_each_report(
        &self,
        unit_ids: &HashMap<String, i64>,
        mut f: impl FnMut(&ReportRow<'_>),
    ) -> anyhow::Result<()> {
        let mut report_id = 0;
        let mut revision_id = 0;
        for (u, unit) in self.units.iter().enumerate() {
            let unit_id = *unit_ids
                .get(&unit.code)
                .with_context(|| format!("unit {} missing from the database", unit.code))?;
            for d in 0..self.days {
                report_id += 1;
                let day = self.start() + Duration::days(i64::from(d));
                let mut rng = Rng::new(u as u64, u64::from(d), 0);
                let revisions = if rng.below(100) < REVISED_PERCENT {
                    2
                } else {
                    1
                };
                let opened = at_local(day, 8, 0) + rng.below(6 * 3600) as i64 * 1000;
                let rows = (1..=revisions)
                    .map(|r| {
                        revision_id += 1;
                        let at = opened + (r as i64 - 1) * (3600 + rng.below(3600) as i64) * 1000;
                        (revision_id, figures(u, unit.commune, d, r), at)
                    })
                    .collect();
                f(&ReportRow {
                    id: report_id,
                    unit_id,
                    unit,
                    day,
                    revisions: rows,
                });
            }
        }
        Ok(())
    }

    /// The last day's stored state of every unit, in unit order.
    pub fn last_days(&self, unit_ids: &HashMap<String, i64>) -> anyhow::Result<Vec<LastDay>> {
        let last = self.last_day();
        let mut out = Vec::with_capacity(self.units.len());
        self.for_each_report(unit_ids, |r| {
            if r.day == last
                && let Some((_, counters, _)) = r.revisions.last()
            {
                out.push(LastDay {
                    report_id: r.id,
                    revision: r.revisions.len() as i64,
                    counters: *counters,
                });
            }
        })?;
        Ok(out)
    }
}

fn department(p: &Province, j: usize) -> UnitDef {
    let name = match DEPARTMENTS.get(j) {
        Some(d) => d.replace("{p}", &p.place),
        None => {
            let k = j - DEPARTMENTS.len();
            BRANCHES[k % BRANCHES.len()]
                .replace("{n}", &(k / BRANCHES.len() + 1).to_string())
                .replace("{p}", &p.place)
        }
    };
    UnitDef {
        code: format!("{}S{:03}", p.code, j + 1),
        name,
        group: p.group.clone(),
        commune: false,
    }
}

/// A local (UTC+7) time on a day, as unix milliseconds.
fn at_local(day: NaiveDate, h: u32, m: u32) -> i64 {
    let t = NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default();
    (day.and_time(t) - Duration::hours(7))
        .and_utc()
        .timestamp_millis()
}

/// Plausible daily figures: communes receive more dossiers than
/// departments (which may receive none: criteria then drop out), and each
/// unit has its own level of online service, so that scores spread and
/// some units share a rank at 100%.
fn figures(unit: usize, commune: bool, day: u32, revision: u64) -> Counters {
    let mut level = Rng::new(unit as u64, u64::MAX, 0);
    let skill = 55 + level.below(46); // 55..=100 percent
    let mut rng = Rng::new(unit as u64, u64::from(day), revision);
    let received = if commune {
        10 + rng.below(140)
    } else {
        rng.below(60)
    };
    let share = |rng: &mut Rng, of: u64| -> u64 {
        let pct = (skill + rng.below(21)).saturating_sub(10).min(100);
        of * pct / 100
    };
    let received_online = share(&mut rng, received);
    let fee_required = received * (20 + rng.below(41)) / 100;
    let paid_online = share(&mut rng, fee_required);
    let results_issued = rng.below(received + 10);
    let results_signed = share(&mut rng, results_issued);
    [
        fee_required,
        paid_online,
        received,
        received_online,
        results_issued,
        results_signed,
    ]
}

/// splitmix64: small, fast and the same on every machine.
struct Rng(u64);

impl Rng {
    fn new(a: u64, b: u64, c: u64) -> Rng {
        Rng(a
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F))
            .wrapping_add(c.wrapping_mul(0x1656_67B1_9E37_79F9))
            ^ 0x7468_6964_7561)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

/// The figures and scoring of the Lạng Sơn week (data/lang-son-2025.toml).
const COUNTERS_AND_CRITERIA: &str = r#"[[counters]]
key = "received"
label = "Tổng số hồ sơ tiếp nhận"

[[counters]]
key = "received_online"
label = "Số hồ sơ tiếp nhận trực tuyến"

[[counters]]
key = "fee_required"
label = "Số hồ sơ phải nộp phí, lệ phí"

[[counters]]
key = "paid_online"
label = "Số hồ sơ thanh toán trực tuyến"

[[counters]]
key = "results_issued"
label = "Số kết quả TTHC trả trong ngày"

[[counters]]
key = "results_signed"
label = "Số kết quả TTHC được ký số"

[[criteria]]
key = "online_submission"
label = "Tỷ lệ hồ sơ nộp trực tuyến"
numerator = "received_online"
denominator = "received"

[[criteria]]
key = "online_payment"
label = "Tỷ lệ hồ sơ thanh toán trực tuyến"
numerator = "paid_online"
denominator = "fee_required"

[[criteria]]
key = "digital_signing"
label = "Tỷ lệ kết quả TTHC được ký số"
numerator = "results_signed"
denominator = "results_issued"

[[grades]]
min_score = 90
label = "Xuất sắc"

[[grades]]
min_score = 80
label = "Tốt"

[[grades]]
min_score = 70
label = "Khá"

[[grades]]
min_score = 50
label = "Trung bình"

[[grades]]
min_score = 0
label = "Yếu"
"#;
