//! The memory allocator of every Lasair-rs tool and benchmark: mimalloc, with its options set
//! here, in one place, at the start of `main` ([`init`]).
//!
//! Why these settings: a batch (the filter's 10,000 alert lines, the ingest's decoded alerts)
//! builds large vectors, frees them at its end, and builds them again in the next batch. By
//! default mimalloc gives freed memory back to the kernel after a second (`purge_delay`), so
//! every batch faulted its memory in again; with transparent huge pages in `madvise` mode
//! (Debian's default) each fault zeroes a whole 2 MiB huge page, and perf showed 85% of the
//! filter's batch in the kernel's `clear_page_erms`. Purging is therefore off: freed memory is
//! kept for the next batch, so a process holds the memory of its largest batch (which
//! `--batch` bounds) until it exits.
//!
//! A tool's `main.rs` calls [`init`] first; a benchmark calls it too and prints [`settings`],
//! so its figures say which allocator they were made with.

use std::os::raw::c_long;

use mimalloc::MiMalloc;

/// The process's allocator, for every binary that links this crate (each tool's `main.rs`
/// calls [`init`], which links it).
#[global_allocator]
static ALLOCATOR: MiMalloc = MiMalloc;

/// An option of mimalloc's C API, `mi_option_t`: its index in `mi_option_e` of the mimalloc
/// the `libmimalloc-sys` crate builds (v3). libmimalloc-sys names only the stable options,
/// so the others are numbered here from `mimalloc.h`; the tests check each against its
/// documented default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MiOption {
    /// The option's name, as mimalloc's `MIMALLOC_<NAME>` environment variable spells it.
    pub name: &'static str,
    index: libmimalloc_sys::mi_option_t,
}

impl MiOption {
    /// The environment variable mimalloc reads the option from at its start.
    pub fn env(&self) -> String {
        format!("MIMALLOC_{}", self.name.to_uppercase())
    }
}

/// Milliseconds before freed memory is given back to the kernel; -1: never.
pub const PURGE_DELAY: MiOption = MiOption {
    name: "purge_delay",
    index: 15,
};
/// Whether mimalloc asks for transparent huge pages (`madvise(MADV_HUGEPAGE)`): 1 or 0.
pub const ALLOW_THP: MiOption = MiOption {
    name: "allow_thp",
    index: 43,
};
/// The multiplier of `purge_delay` for arenas' memory.
pub const ARENA_PURGE_MULT: MiOption = MiOption {
    name: "arena_purge_mult",
    index: 24,
};

/// What [`init`] sets: no purging (see the crate's documentation).
pub const SETTINGS: [(MiOption, c_long); 1] = [(PURGE_DELAY, -1)];

/// Sets the allocator's options ([`SETTINGS`]), except those the environment sets
/// (`MIMALLOC_PURGE_DELAY=1000` restores mimalloc's default, for a comparison or a node that
/// must give memory back). Call it first in `main`, before any thread starts; calling it again
/// does no harm.
pub fn init() {
    for (option, value) in SETTINGS {
        if std::env::var_os(option.env()).is_none() {
            set(option, value);
        }
    }
}

/// The value of one of mimalloc's options now.
pub fn get(option: MiOption) -> c_long {
    #[allow(unsafe_code)]
    // SAFETY: `mi_option_get` reads a static table; any index below `_mi_option_last` is in
    // it, and every `MiOption` here is one (checked by the tests).
    unsafe {
        libmimalloc_sys::mi_option_get(option.index)
    }
}

/// The one write into mimalloc's options: `mi_option_set`, a C function (so `unsafe` to call),
/// safe here because it only stores a number in mimalloc's static options table at an index
/// inside it; mimalloc reads `purge_delay` afresh at each purge, so a value set after the
/// allocator's start takes effect from then on. Not thread-safe by mimalloc's documentation:
/// [`init`] runs before any thread starts.
fn set(option: MiOption, value: c_long) {
    #[allow(unsafe_code)]
    // SAFETY: see above.
    unsafe {
        libmimalloc_sys::mi_option_set(option.index, value)
    }
}

/// The allocator's settings and the host's transparent huge pages mode, on one line, for
/// benchmarks to print beside their figures: e.g. `mimalloc 3.3.2: purge_delay -1,
/// arena_purge_mult 1, allow_thp 1; transparent huge pages: madvise`.
pub fn settings() -> String {
    // mimalloc 3 numbers itself major * 10,000 + minor * 100 + patch (3.3.2: 30302).
    let version = ALLOCATOR.version();
    let options = [PURGE_DELAY, ARENA_PURGE_MULT, ALLOW_THP]
        .map(|o| format!("{} {}", o.name, get(o)))
        .join(", ");
    format!(
        "mimalloc {}.{}.{}: {options}; transparent huge pages: {}",
        version / 10_000,
        version / 100 % 100,
        version % 100,
        thp_mode()
    )
}

/// The kernel's transparent huge pages mode (`always`, `madvise`, `never`), the bracketed word
/// of `/sys/kernel/mm/transparent_hugepage/enabled`, or `unknown`.
pub fn thp_mode() -> String {
    std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
        .ok()
        .and_then(|s| {
            let start = s.find('[')? + 1;
            let end = start + s[start..].find(']')?;
            Some(s[start..end].to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each numbered option is the one its name says: before `init`, each holds mimalloc's
    /// documented default (unless the environment sets it), and `init` sets purge_delay.
    /// One test, so no other test's `init` runs first.
    #[test]
    fn options_are_numbered_right_and_init_sets_them() {
        let defaults = [(PURGE_DELAY, 1000), (ARENA_PURGE_MULT, 1), (ALLOW_THP, 1)];
        for (option, default) in defaults {
            if std::env::var_os(option.env()).is_none() {
                assert_eq!(get(option), default, "{} before init", option.name);
            }
        }
        init();
        if std::env::var_os(PURGE_DELAY.env()).is_none() {
            assert_eq!(get(PURGE_DELAY), -1);
        }
        let line = settings();
        assert!(
            line.contains(&format!("purge_delay {}", get(PURGE_DELAY))),
            "{line}"
        );
        assert!(line.starts_with("mimalloc 3."), "{line}");
    }
}
