//! Rows out: JSON lines (one object per row), CSV with a header, or an aligned table.

use std::io::{self, Write};
use std::time::Instant;

use lasair_db::{Rows, Value};

/// Writes the rows in the chosen format, stopped when `deadline` passes: the query's time
/// limit covers its whole cost, the writing of a huge result (to a slow reader) included.
pub fn write(
    rows: &Rows,
    format: super::Format,
    out: &mut dyn Write,
    deadline: Instant,
) -> anyhow::Result<()> {
    let mut timed = Timed { out, deadline };
    let out: &mut dyn Write = &mut timed;
    match format {
        super::Format::Json => json(rows, out)?,
        super::Format::Csv => csv(rows, out)?,
        super::Format::Table => table(rows, out)?,
    }
    out.flush()?;
    Ok(())
}

/// A writer that fails with `TimedOut` once its deadline has passed.
struct Timed<'a> {
    out: &'a mut dyn Write,
    deadline: Instant,
}

impl Write for Timed<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if Instant::now() > self.deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the query's time limit ran out while its rows were written: ask for fewer rows (--limit) or a longer --timeout",
            ));
        }
        self.out.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// True when the reader went away (`| head`): a Unix tool then ends quietly.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<csv::Error>().is_some_and(|e| {
                matches!(e.kind(), csv::ErrorKind::Io(e) if e.kind() == io::ErrorKind::BrokenPipe)
            })
    })
}

fn json(rows: &Rows, out: &mut dyn Write) -> anyhow::Result<()> {
    for row in &rows.rows {
        let object: serde_json::Map<String, serde_json::Value> = rows
            .columns
            .iter()
            .zip(row)
            .map(|(c, v)| (c.clone(), serde_json::to_value(v).unwrap_or_default()))
            .collect();
        serde_json::to_writer(&mut *out, &object)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

fn csv(rows: &Rows, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(&rows.columns)?;
    for row in &rows.rows {
        w.write_record(row.iter().map(Value::to_string))?;
    }
    w.flush()?;
    Ok(())
}

fn table(rows: &Rows, out: &mut dyn Write) -> anyhow::Result<()> {
    let cells: Vec<Vec<String>> = rows
        .rows
        .iter()
        .map(|r| r.iter().map(Value::to_string).collect())
        .collect();
    let widths: Vec<usize> = (0..rows.columns.len())
        .map(|i| {
            let data = cells
                .iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()));
            data.chain([rows.columns[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |out: &mut dyn Write, row: &[String]| -> io::Result<()> {
        let padded: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}", w = *w))
            .collect();
        writeln!(out, "{}", padded.join("  ").trim_end())
    };
    line(out, &rows.columns)?;
    line(
        out,
        &widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>(),
    )?;
    for row in &cells {
        line(out, row)?;
    }
    writeln!(out, "({} rows)", cells.len())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn writing_stops_at_the_deadline() {
        let rows = Rows {
            columns: vec!["objectId".into()],
            rows: (0..1000)
                .map(|i| vec![Value::from(format!("ZTF{i}"))])
                .collect(),
        };
        let mut out = Vec::new();
        let past = Instant::now() - Duration::from_millis(1);
        let err = write(&rows, super::super::Format::Json, &mut out, past).expect_err("too late");
        assert!(format!("{err:#}").contains("time limit ran out"), "{err:#}");
        let later = Instant::now() + Duration::from_secs(60);
        write(&rows, super::super::Format::Csv, &mut out, later).expect("in time");
        assert_eq!(String::from_utf8_lossy(&out).lines().count(), 1001);
    }
}
