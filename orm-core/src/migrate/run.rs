//! Running one migration forward or backward, and, where schema changes
//! commit at once (MySQL), recording where it stands after every unit: a
//! marker before each unit runs ("started") and the progress after it, so
//! that a migration stopped by an error is finished or undone from where it
//! stopped, and one stopped by a crash is reported as interrupted instead
//! of one step behind.

use crate::conn::Conn;
use crate::dialect::Dialect;
use crate::error::{Error, Result};

use super::description::DatabaseSchema;
use super::history::{self, Record};
use super::migration::{Migration, Step};
use super::steps::{in_transaction, message_of, run_steps, sql_units, units_of, Event};

/// How a step given to [`run_steps`] moves the record.
#[derive(Debug, Clone, Copy)]
enum Track {
    /// Applying step `n`: unit `k` is unit `offset + k` of the step.
    Forward { n: usize, offset: usize },
    /// Undoing step `n` unit by unit, last first, from `before` units in
    /// the database.
    Backward { n: usize, before: usize },
    /// Undoing step `n` (of `units` units) whole: a `down` part that does not
    /// match its `up` statement for statement.
    Whole { n: usize, units: usize },
}

impl Track {
    /// The number of the step tracked.
    fn step(self) -> usize {
        match self {
            Track::Forward { n, .. } | Track::Backward { n, .. } | Track::Whole { n, .. } => n,
        }
    }
}

/// The record after `event` of a step tracked by `track`, from `current`;
/// `None` when the event moves nothing.
///
/// # Failure
/// [`Error::Migration`] when the event does not fit the track (a unit
/// number past the units the step had): the record would go below zero.
fn advance(current: &Record, track: Track, event: Event) -> Result<Option<Record>> {
    let at = |steps: Option<usize>, units: Option<usize>, in_flight: i64| {
        let (Some(steps), Some(units)) = (steps, units) else {
            return Err(Error::Migration {
                version: Some(current.version),
                message: format!(
                    "progress {event:?} does not fit step {} ({track:?}): nothing recorded",
                    track.step()
                ),
            });
        };
        Ok(Some(Record {
            steps_done: i64::try_from(steps).unwrap_or(i64::MAX),
            units_done: i64::try_from(units).unwrap_or(i64::MAX),
            in_flight,
            error: None,
            ..current.clone()
        }))
    };
    match (track, event) {
        (Track::Forward { n, offset, .. }, Event::Start { k, .. }) => {
            at(n.checked_sub(1), offset.checked_add(k), 1)
        }
        (Track::Forward { n, .. }, Event::Ran { last: true, .. }) => at(Some(n), Some(0), 0),
        (Track::Forward { n, offset, .. }, Event::Ran { k, .. }) => at(
            n.checked_sub(1),
            offset.checked_add(k).and_then(|u| u.checked_add(1)),
            0,
        ),
        (Track::Backward { n, before }, Event::Start { k, .. }) => {
            at(n.checked_sub(1), before.checked_sub(k), -1)
        }
        (Track::Backward { n, before }, Event::Ran { k, .. }) => at(
            n.checked_sub(1),
            before.checked_sub(k).and_then(|u| u.checked_sub(1)),
            0,
        ),
        (Track::Whole { n, units }, Event::Start { k: 0, .. }) => {
            at(n.checked_sub(1), Some(units), -1)
        }
        (Track::Whole { n, .. }, Event::Ran { last: true, .. }) => at(n.checked_sub(1), Some(0), 0),
        (Track::Whole { .. }, _) => Ok(None),
    }
}

/// `record` with a step whose every unit is in the database counted as a
/// complete step, and its checksum made to match what it holds.
pub(crate) fn normalized(m: &Migration, mut record: Record, dialect: &dyn Dialect) -> Record {
    if record.in_flight == 0 && record.units_done > 0 {
        let next = usize::try_from(record.steps_done).unwrap_or(0);
        let units = m.steps.get(next).map(|s| units_of(s, dialect).len());
        if units.is_some_and(|u| usize::try_from(record.units_done).unwrap_or(0) >= u) {
            record.steps_done += 1;
            record.units_done = 0;
        }
    }
    record.checksum = m.checksum_of(record.steps_touched());
    record
}

/// What the progress callback of [`run_steps`] saw: the last event, and
/// whether recording it failed. A run that stops after a unit's statements
/// ran but before its end was recorded keeps the unit's marker: the unit
/// is not taken as not run (apply would run it twice).
#[derive(Debug, Default)]
struct Seen {
    last: Option<Event>,
    unrecorded: bool,
}

impl Seen {
    /// Records `event` of the step tracked by `tracks[i]` from `current`.
    fn record(
        &mut self,
        conn: &mut Conn,
        m: &Migration,
        current: &mut Record,
        tracks: &[Track],
        event: Event,
    ) -> Result<()> {
        let (Event::Start { i, .. } | Event::Ran { i, .. }) = event;
        self.last = Some(event);
        let result = tracks
            .get(i)
            .ok_or_else(|| Error::Migration {
                version: Some(m.version),
                message: format!("progress {event:?} names no step under way"),
            })
            .and_then(|track| advance(current, *track, event))
            .and_then(|next| match next {
                Some(next) => save(conn, m, current, next),
                None => Ok(()),
            });
        self.unrecorded = result.is_err();
        result
    }

    /// Whether the unit under way when the run stopped ran, wholly or in
    /// part: its end could not be recorded, or it is a step undone whole
    /// whose down part stopped after its first statement.
    fn keep_marker(&self, tracks: &[Track]) -> bool {
        match self.last {
            Some(Event::Ran { .. }) => self.unrecorded,
            Some(Event::Start { i, k }) => {
                !self.unrecorded && k > 0 && matches!(tracks.get(i), Some(Track::Whole { .. }))
            }
            None => false,
        }
    }
}

/// The error of a run that stopped with `e`, when recording where it
/// stopped failed too (`r`): both are told.
fn unrecorded(m: &Migration, e: &str, r: &Error) -> Error {
    Error::Migration {
        version: Some(m.version),
        message: format!(
            "{e}; recording where it stopped failed too ({}): status may show a step under \
             way; check the database, then resolve it",
            message_of(r)
        ),
    }
}

/// Saves `record` and makes it the current one.
fn save(conn: &mut Conn, m: &Migration, current: &mut Record, record: Record) -> Result<()> {
    let record = normalized(m, record, conn.dialect());
    history::save(conn, &record)?;
    *current = record;
    Ok(())
}

/// Whether undoing SQL step `step` goes statement by statement: its `down`
/// part has as many statements as its `up` part, undoing them last first.
pub(crate) fn undone_by_statement(step: &Step, dialect: &dyn Dialect) -> bool {
    match step {
        Step::Schema(_) => true,
        Step::Sql { up, down } => down
            .as_ref()
            .is_some_and(|d| sql_units(d, dialect).len() == sql_units(up, dialect).len()),
    }
}

/// A hand-written SQL step made of some of `units`.
fn sql_of(units: &[String]) -> Step {
    // On lines of their own, so that a statement ending in a comment does
    // not swallow the separator.
    Step::Sql {
        up: units.join("\n;\n"),
        down: None,
    }
}

/// Applies `m` from where `record` says it stands. `false` when another
/// process applied it meanwhile.
pub(crate) fn run_forward(
    conn: &mut Conn,
    m: &Migration,
    record: Option<&Record>,
    declared: Option<&DatabaseSchema>,
) -> Result<bool> {
    let dialect = conn.dialect();
    let total = m.steps.len();
    let start = record.map_or(0, |r| usize::try_from(r.steps_done).unwrap_or(0));
    let resume = record.map_or(0, |r| usize::try_from(r.units_done).unwrap_or(0));
    let mut steps = Vec::new();
    let mut tracks = Vec::new();
    for (i, step) in m.steps.iter().enumerate().skip(start) {
        let units = units_of(step, dialect);
        let offset = if i == start && resume > 0 && matches!(step, Step::Sql { .. }) {
            resume.min(units.len())
        } else {
            0
        };
        steps.push((
            i + 1,
            if offset > 0 {
                sql_of(&units[offset..])
            } else {
                step.clone()
            },
        ));
        tracks.push(Track::Forward { n: i + 1, offset });
    }
    let fresh = Record {
        version: m.version,
        name: m.name.clone(),
        steps_done: start as i64,
        steps_total: total as i64,
        error: None,
        checksum: String::new(),
        units_done: resume as i64,
        in_flight: 0,
    };
    if dialect.transactional_ddl() {
        let done = normalized(
            m,
            Record {
                steps_done: total as i64,
                units_done: 0,
                ..fresh.clone()
            },
            dialect,
        );
        let version = m.version;
        // Another process changed its record meanwhile: it did the work.
        return in_transaction(
            conn,
            m.version,
            &steps,
            total,
            &|records| records.iter().find(|r| r.version == version) != record,
            declared,
            &|c| history::save(c, &done),
        );
    }
    let mut current = normalized(m, fresh, dialect);
    let mut ran = 0;
    let mut seen = Seen::default();
    let result = run_steps(
        conn,
        m.version,
        &steps,
        total,
        &mut ran,
        declared,
        &mut |c, event| seen.record(c, m, &mut current, &tracks, event),
    );
    if let Err(e) = result {
        let e = message_of(&e);
        if record.is_none() && ran == 0 {
            // Nothing of it reached the database.
            if let Err(r) = history::remove(conn, m.version) {
                return Err(unrecorded(m, &e, &r));
            }
            return Err(Error::Migration {
                version: Some(m.version),
                message: format!("{e}; nothing was applied"),
            });
        }
        // The unit that failed did not run, and its marker goes; unless
        // it ran and its end could not be recorded.
        let keep = seen.keep_marker(&tracks);
        let stopped = Record {
            in_flight: if keep { current.in_flight } else { 0 },
            error: Some(e.clone()),
            ..current.clone()
        };
        if let Err(r) = save(conn, m, &mut current, stopped) {
            return Err(unrecorded(m, &e, &r));
        }
        let done = current.steps_done;
        if keep {
            return Err(Error::Migration {
                version: Some(m.version),
                message: format!(
                    "{e}; step {} ran (this database commits schema changes at once) but its \
                     end could not be recorded: status shows it interrupted; check the \
                     database, then resolve it (ran or not)",
                    done + 1
                ),
            });
        }
        let in_step = match current.units_done {
            0 => String::new(),
            k => format!(
                " and the first {k} statements of step {} (status names them)",
                done + 1
            ),
        };
        return Err(Error::Migration {
            version: Some(m.version),
            message: format!(
                "{e}; {done} of {total} steps{in_step} are applied (this database commits \
                 schema changes at once): status shows it, apply finishes it, revert undoes \
                 what was applied"
            ),
        });
    }
    // Recorded complete (a migration without steps has had no progress to record).
    let done = Record {
        steps_done: total as i64,
        units_done: 0,
        in_flight: 0,
        error: None,
        ..current.clone()
    };
    save(conn, m, &mut current, done)?;
    Ok(true)
}

/// The steps that undo what `record` says the database holds of `m`, with
/// the number of the step each undoes, last first.
///
/// # Failure
/// [`Error::Migration`] when a step is SQL without a `down` part, or when a
/// SQL step stopped part-way and its `down` part does not match its
/// statements one for one.
pub(crate) fn undo_steps(
    m: &Migration,
    record: &Record,
    dialect: &dyn Dialect,
) -> Result<Vec<(usize, Step)>> {
    Ok(undo_plan(m, record, dialect)?
        .into_iter()
        .map(|(step, track)| (track.step(), step))
        .collect())
}

/// [`undo_steps`], each with how it moves the record.
fn undo_plan(m: &Migration, record: &Record, dialect: &dyn Dialect) -> Result<Vec<(Step, Track)>> {
    let done = usize::try_from(record.steps_done).unwrap_or(0);
    let partial = usize::try_from(record.units_done).unwrap_or(0);
    let mut out = Vec::new();
    if partial > 0 {
        let n = done + 1;
        let step = m.steps.get(done).ok_or_else(|| Error::Migration {
            version: Some(m.version),
            message: format!("the database records step {n}, which the migration lacks"),
        })?;
        let Step::Sql { up, down } = step else {
            return Err(Error::Migration {
                version: Some(m.version),
                message: format!("the database records part of schema step {n}"),
            });
        };
        let ups = sql_units(up, dialect);
        let downs = down.as_deref().map(|d| sql_units(d, dialect));
        match downs {
            Some(downs) if downs.len() == ups.len() => {
                let from = downs.len() - partial.min(downs.len());
                out.push((
                    sql_of(&downs[from..]),
                    Track::Backward { n, before: partial },
                ));
            }
            downs => {
                let ran: Vec<String> = ups[..partial.min(ups.len())]
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect();
                return Err(Error::Migration {
                    version: Some(m.version),
                    message: format!(
                        "step {n} stopped after {partial} of its {} statements ({}), and its \
                         down part {}: it cannot undo just those; apply finishes the step, \
                         after which revert undoes it whole",
                        ups.len(),
                        ran.join("; "),
                        match downs {
                            None => "is missing".to_owned(),
                            Some(d) =>
                                format!("has {} statements, not one for each, last first", d.len()),
                        }
                    ),
                });
            }
        }
    }
    for (step, i) in m.down_of(done)?.into_iter().zip((0..done).rev()) {
        let n = i + 1;
        let original = &m.steps[i];
        let track = if undone_by_statement(original, dialect) {
            Track::Backward {
                n,
                before: units_of(original, dialect).len(),
            }
        } else {
            Track::Whole {
                n,
                units: units_of(original, dialect).len(),
            }
        };
        out.push((step, track));
    }
    Ok(out)
}

/// Undoes what `record` says the database holds of `m`, and forgets it.
pub(crate) fn run_backward(
    conn: &mut Conn,
    m: &Migration,
    record: &Record,
    declared: Option<&DatabaseSchema>,
) -> Result<()> {
    let dialect = conn.dialect();
    let plan = undo_plan(m, record, dialect)?;
    let total = m.steps.len();
    let mut steps = Vec::new();
    let mut tracks = Vec::new();
    for (step, track) in plan {
        steps.push((track.step(), step));
        tracks.push(track);
    }
    if dialect.transactional_ddl() {
        let version = m.version;
        in_transaction(
            conn,
            m.version,
            &steps,
            total,
            &|records| records.iter().find(|r| r.version == version) != Some(record),
            declared,
            &|c| history::remove(c, version),
        )?;
        return Ok(());
    }
    let mut current = normalized(m, record.clone(), dialect);
    let mut seen = Seen::default();
    let result = run_steps(
        conn,
        m.version,
        &steps,
        total,
        &mut 0,
        declared,
        &mut |c, event| seen.record(c, m, &mut current, &tracks, event),
    );
    if let Err(e) = result {
        let e = message_of(&e);
        // As in `run_forward`; a step undone whole also keeps its marker
        // once some statements of its down part ran.
        let keep = seen.keep_marker(&tracks);
        let stopped = Record {
            in_flight: if keep { current.in_flight } else { 0 },
            error: Some(format!("revert: {e}")),
            ..current.clone()
        };
        if let Err(r) = save(conn, m, &mut current, stopped) {
            return Err(unrecorded(m, &format!("revert stopped: {e}"), &r));
        }
        let left = current.steps_done;
        if keep {
            return Err(Error::Migration {
                version: Some(m.version),
                message: format!(
                    "revert stopped: {e}; the undoing of step {} ran, at least in part (this \
                     database commits schema changes at once), and its end was not recorded: \
                     status shows it interrupted; bring the database to the step done or \
                     undone, then resolve it (ran or not)",
                    left + 1
                ),
            });
        }
        let in_step = match current.units_done {
            0 => String::new(),
            k => format!(" and the first {k} statements of step {}", left + 1),
        };
        return Err(Error::Migration {
            version: Some(m.version),
            message: format!(
                "revert stopped: {e}; {left} of {total} steps{in_step} are still applied: \
                 status shows it, revert continues, apply finishes the migration again"
            ),
        });
    }
    history::remove(conn, m.version)
}

/// The record once the unit under way in `record` is known to have run
/// (`ran`) or not.
pub(crate) fn resolved(m: &Migration, record: &Record, ran: bool, dialect: &dyn Dialect) -> Record {
    let mut out = record.clone();
    if ran {
        if record.in_flight > 0 {
            out.units_done += 1;
        } else {
            let undone = usize::try_from(record.steps_done).unwrap_or(0);
            let whole = m
                .steps
                .get(undone)
                .is_some_and(|s| !undone_by_statement(s, dialect));
            out.units_done = if whole { 0 } else { out.units_done - 1 };
        }
    }
    out.in_flight = 0;
    out.error = None;
    normalized(m, out, dialect)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            version: 3,
            name: "m".into(),
            steps_done: 0,
            steps_total: 1,
            error: None,
            checksum: String::new(),
            units_done: 2,
            in_flight: 0,
        }
    }

    #[test]
    fn progress_past_a_steps_units_is_an_error_not_an_underflow() {
        let undo = Track::Backward { n: 1, before: 2 };
        let start = Event::Start { i: 0, k: 1 };
        let next = advance(&record(), undo, start).unwrap().unwrap();
        assert_eq!((next.units_done, next.in_flight), (1, -1));
        for (track, event) in [
            (undo, Event::Start { i: 0, k: 3 }),
            (
                undo,
                Event::Ran {
                    i: 0,
                    k: 2,
                    last: true,
                },
            ),
            (
                Track::Forward { n: 0, offset: 0 },
                Event::Start { i: 0, k: 0 },
            ),
            (Track::Whole { n: 0, units: 1 }, Event::Start { i: 0, k: 0 }),
        ] {
            let err = advance(&record(), track, event).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Migration {
                        version: Some(3),
                        ..
                    }
                ),
                "{err}"
            );
        }
    }
}
