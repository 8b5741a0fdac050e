//! The user-visible tables and their columns, as plain data, so the query compiler checks
//! against the same catalogue that a database crate renders DDL from.

/// The SQL type of a column, reduced to what both SQLite and MariaDB share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    /// A 64-bit integer.
    Int,
    /// A double-precision float.
    Real,
    /// A short string.
    Text,
}

/// One column of a user-visible table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The name as Lasair spells it (users' queries match it case-insensitively).
    pub name: &'static str,
    /// Its type.
    pub ty: ColType,
}

/// One user-visible table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    /// The table name as Lasair spells it.
    pub name: &'static str,
    /// The columns, in the order `*` expands to.
    pub columns: &'static [Column],
}

impl Table {
    /// The column named `name`, compared case-insensitively as MySQL does.
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// The tables of one survey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Catalog {
    /// The survey's name, for messages.
    pub survey: &'static str,
    /// The object key every table has and joins `objects` on (ZTF `objectId`, LSST
    /// `diaObjectId`).
    pub key: &'static str,
    /// The `objects` column that orders an object's rows in time (its latest detection): a
    /// row from an older alert never replaces a newer one.
    pub latest: &'static str,
    /// The `objects` columns of an object's position (RA, Dec in degrees).
    pub position: (&'static str, &'static str),
    /// Every user-visible table; the first is `objects`.
    pub tables: &'static [Table],
}

impl Catalog {
    /// The table named `name` (exact, lower-case Lasair names).
    pub fn table(&self, name: &str) -> Option<&'static Table> {
        self.tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }
}

/// An integer column; with [`real`] and [`text`], how every table here and the database's
/// service tables are written down.
pub const fn int(name: &'static str) -> Column {
    Column {
        name,
        ty: ColType::Int,
    }
}
/// A floating-point column.
pub const fn real(name: &'static str) -> Column {
    Column {
        name,
        ty: ColType::Real,
    }
}
/// A text column.
pub const fn text(name: &'static str) -> Column {
    Column {
        name,
        ty: ColType::Text,
    }
}

/// Lasair's ZTF `objects` columns (one row per object, features of its latest lightcurve).
#[rustfmt::skip]
pub const ZTF_OBJECTS: Table = Table {
    name: "objects",
    columns: &[
        text("objectId"), int("ncand"), real("ramean"), real("rastd"), real("decmean"),
        real("decstd"), real("jdmin"), real("jdmax"), int("ncandgp"), int("ncandgp_7"),
        int("ncandgp_14"), real("gmag"), real("rmag"), real("jdgmax"), real("jdrmax"),
        real("dmdt_g"), real("dmdt_r"), real("dmdt_g_err"), real("dmdt_r_err"), real("dmdt_g_2"),
        real("dmdt_r_2"),
        real("mag_g02"), real("mag_g08"), real("mag_g28"), real("mag_r02"), real("mag_r08"),
        real("mag_r28"), real("maggmin"), real("maggmean"), real("maggmax"), real("maggmedian"),
        real("magrmin"), real("magrmean"), real("magrmax"), real("magrmedian"),
        real("g_minus_r"), real("jd_g_minus_r"), real("glatmean"), real("glonmean"),
        real("distpsnr1"), real("sgscore1"), real("sgmag1"), real("srmag1"), text("ssnamenr"),
    ],
};

/// Lasair-LSST's `objects` columns (schema 11.1): the features Lasair computes from the
/// lightcurve the latest alert carries with the diaObject fields they name, then htm16 and the
/// rest of the diaObject's own fields ([`LSST_OBJECT_FIELDS`]); Lasair's `timestamp` (when
/// the row last changed) is not kept.
#[rustfmt::skip]
pub const LSST_OBJECTS: Table = Table {
    name: "objects",
    columns: &[
        int("diaObjectId"), real("ra"), real("decl"),
        real("lastDiaSourceMjdTai"), real("firstDiaSourceMjdTai"), real("latest_psfFlux"),
        real("u_psfFlux"), real("u_latestMJD"), real("u_psfFluxMean"), real("u_psfFluxMeanErr"),
        real("g_psfFlux"), real("g_latestMJD"), real("g_psfFluxMean"), real("g_psfFluxMeanErr"),
        real("r_psfFlux"), real("r_latestMJD"), real("r_psfFluxMean"), real("r_psfFluxMeanErr"),
        real("i_psfFlux"), real("i_latestMJD"), real("i_psfFluxMean"), real("i_psfFluxMeanErr"),
        real("z_psfFlux"), real("z_latestMJD"), real("z_psfFluxMean"), real("z_psfFluxMeanErr"),
        real("y_psfFlux"), real("y_latestMJD"), real("y_psfFluxMean"), real("y_psfFluxMeanErr"),
        real("medianR"), real("latestR"), int("nDiaSources"), int("nPosDiaSources"),
        int("nPosDiaSourcesNights"), int("nSourcesGood"), int("nuSources"), int("ngSources"),
        int("nrSources"), int("niSources"), int("nzSources"), int("nySources"), text("tns_name"),
        real("absMag"), real("absMagMJD"), real("BBBRiseRate"), real("BBBFallRate"),
        real("BBBTemp"), real("BBBPeakFlux"), real("BBBPeakMJD"), real("BBBPeakAbsMag"),
        real("glat"), real("ebv"), real("jump1"), real("jump2"), real("latestPairMJD"),
        real("latestPairColourMag"), text("latestPairColourBands"), real("latestPairColourTemp"),
        real("penultimatePairMJD"), real("penultimatePairColourMag"),
        text("penultimatePairColourBands"), real("penultimatePairColourTemp"),
        // Schema version 10: htm16 and the diaObject's own fields (Lasair's ext_fields).
        int("htm16"),
        real("validityStartMjdTai"), real("raErr"), real("decErr"), real("ra_dec_Cov"),
        real("u_psfFluxSigma"), int("u_psfFluxNdata"), real("u_fpFluxMean"),
        real("u_fpFluxMeanErr"), real("g_psfFluxSigma"), int("g_psfFluxNdata"),
        real("g_fpFluxMean"), real("g_fpFluxMeanErr"), real("r_psfFluxSigma"),
        int("r_psfFluxNdata"), real("r_fpFluxMean"), real("r_fpFluxMeanErr"),
        real("i_psfFluxSigma"), int("i_psfFluxNdata"), real("i_fpFluxMean"),
        real("i_fpFluxMeanErr"), real("z_psfFluxSigma"), int("z_psfFluxNdata"),
        real("z_fpFluxMean"), real("z_fpFluxMeanErr"), real("y_psfFluxSigma"),
        int("y_psfFluxNdata"), real("y_fpFluxMean"), real("y_fpFluxMeanErr"),
        real("u_scienceFluxMean"), real("u_scienceFluxMeanErr"), real("g_scienceFluxMean"),
        real("g_scienceFluxMeanErr"), real("r_scienceFluxMean"), real("r_scienceFluxMeanErr"),
        real("i_scienceFluxMean"), real("i_scienceFluxMeanErr"), real("z_scienceFluxMean"),
        real("z_scienceFluxMeanErr"), real("y_scienceFluxMean"), real("y_scienceFluxMeanErr"),
        real("u_psfFluxMin"), real("u_psfFluxMax"), real("u_psfFluxMaxSlope"),
        real("u_psfFluxErrMean"), real("g_psfFluxMin"), real("g_psfFluxMax"),
        real("g_psfFluxMaxSlope"), real("g_psfFluxErrMean"), real("r_psfFluxMin"),
        real("r_psfFluxMax"), real("r_psfFluxMaxSlope"), real("r_psfFluxErrMean"),
        real("i_psfFluxMin"), real("i_psfFluxMax"), real("i_psfFluxMaxSlope"),
        real("i_psfFluxErrMean"), real("z_psfFluxMin"), real("z_psfFluxMax"),
        real("z_psfFluxMaxSlope"), real("z_psfFluxErrMean"), real("y_psfFluxMin"),
        real("y_psfFluxMax"), real("y_psfFluxMaxSlope"), real("y_psfFluxErrMean"),
    ],
};

/// How many of [`LSST_OBJECTS`]'s columns are Lasair's features, before htm16 and the
/// diaObject's own fields ([`LSST_OBJECT_FIELDS`]).
const LSST_FEATURE_COLUMNS: usize = 63;

/// The `objects` columns Lasair-LSST has beyond the features: `htm16` (the position's
/// Hierarchical Triangular Mesh id at level 16) and then the diaObject's own fields that
/// schema 11.1 lists as `ext_fields`, copied from the alert (raErr, decErr, the per-band
/// psfFluxSigma, psfFluxNdata, fpFluxMean, scienceFluxMean, psfFluxMin/Max/MaxSlope/ErrMean, ...).
pub const LSST_OBJECT_FIELDS: &[Column] = LSST_OBJECTS.columns.split_at(LSST_FEATURE_COLUMNS).1;

// The tables both surveys share differ only in their object key (ZTF `objectId` text, LSST
// `diaObjectId` integer), so each is written once, as a macro taking the key column.

/// Sherlock's context for each object (its best crossmatch and classification).
#[rustfmt::skip]
macro_rules! sherlock_classifications {
    ($key:expr) => {
        Table {
            name: "sherlock_classifications",
            columns: &[
                $key, text("classification"), text("association_type"),
                text("catalogue_table_name"), text("catalogue_object_id"),
                text("catalogue_object_type"), real("raDeg"), real("decDeg"),
                real("separationArcsec"), real("northSeparationArcsec"),
                real("eastSeparationArcsec"), real("physical_separation_kpc"),
                real("direct_distance"), real("distance"), real("z"), real("photoZ"),
                real("photoZErr"), real("Mag"), text("MagFilter"), real("MagErr"),
                int("classificationReliability"), real("major_axis_arcsec"), text("description"),
                text("summary"),
            ],
        }
    };
}

/// Objects within a cone of a user's watchlist.
macro_rules! watchlist_hits {
    ($key:expr) => {
        Table {
            name: "watchlist_hits",
            columns: &[
                int("wl_id"),
                int("cone_id"),
                $key,
                real("arcsec"),
                text("name"),
            ],
        }
    };
}

/// Objects inside a user's watchmap (MOC area).
macro_rules! area_hits {
    ($key:expr) => {
        Table {
            name: "area_hits",
            columns: &[int("ar_id"), $key],
        }
    };
}

/// Transient Name Server entries matched to objects: the object key, then Lasair's
/// `crossmatch_tns` columns (its TNS copy), which [`TNS_COLUMNS`] lists.
#[rustfmt::skip]
macro_rules! crossmatch_tns {
    ($key:expr) => {
        Table {
            name: "crossmatch_tns",
            columns: &[
                $key, text("tns_name"), text("tns_prefix"), real("ra"), real("decl"), text("type"),
                real("z"), text("host_name"), real("disc_mag"), text("disc_mag_filter"),
                text("disc_date"), text("source_group"), real("hostz"), text("ext_catalogs"),
                text("disc_int_name"), text("lastmodified_date"), text("sender"), text("reporters"),
            ],
        }
    };
}

/// The columns of a TNS entry as Lasair keeps them (its `crossmatch_tns`), in the order of the
/// `crossmatch_tns` table after its object key; the sync job's own copy of TNS has these.
#[rustfmt::skip]
pub const TNS_COLUMNS: [&str; 17] = [
    "tns_name", "tns_prefix", "ra", "decl", "type", "z", "host_name", "disc_mag",
    "disc_mag_filter", "disc_date", "source_group", "hostz", "ext_catalogs", "disc_int_name",
    "lastmodified_date", "sender", "reporters",
];

/// Objects inside the 90% credible area of a gravitational-wave sky map (`mma:ID`, the map's
/// `mw_id`), one row per object and map: the credible level at the object (`contour`, 0..1,
/// smaller is likelier), the host distance Sherlock gave (Mpc), the 2-D probability density
/// there (sr⁻¹) and, with a distance, the 3-D density (Mpc⁻³).
macro_rules! mma_area_hits {
    ($key:expr) => {
        Table {
            name: "mma_area_hits",
            columns: &[
                int("mw_id"),
                $key,
                real("contour"),
                real("distance"),
                real("probdens2"),
                real("probdens3"),
            ],
        }
    };
}

/// Annotations that annotators (users' classifiers) attach to objects, one per topic.
#[rustfmt::skip]
macro_rules! annotations {
    ($key:expr) => {
        Table {
            name: "annotations",
            columns: &[
                $key, text("topic"), text("classification"), text("version"), text("explanation"),
                text("classdict"), text("url"), text("timestamp"),
            ],
        }
    };
}

/// Sherlock's context for ZTF objects.
pub const SHERLOCK_CLASSIFICATIONS: Table = sherlock_classifications!(text("objectId"));
/// ZTF objects within a cone of a user's watchlist.
pub const WATCHLIST_HITS: Table = watchlist_hits!(text("objectId"));
/// ZTF objects inside a user's watchmap.
pub const AREA_HITS: Table = area_hits!(text("objectId"));
/// ZTF objects inside a gravitational-wave sky map's 90% area.
pub const MMA_AREA_HITS: Table = mma_area_hits!(text("objectId"));
/// TNS entries matched to ZTF objects.
pub const CROSSMATCH_TNS: Table = crossmatch_tns!(text("objectId"));
/// Annotations of ZTF objects.
pub const ANNOTATIONS: Table = annotations!(text("objectId"));

/// The ZTF catalogue.
pub const ZTF: Catalog = Catalog {
    survey: "ZTF",
    key: "objectId",
    latest: "jdmax",
    position: ("ramean", "decmean"),
    tables: &[
        ZTF_OBJECTS,
        SHERLOCK_CLASSIFICATIONS,
        WATCHLIST_HITS,
        AREA_HITS,
        CROSSMATCH_TNS,
        ANNOTATIONS,
        MMA_AREA_HITS,
    ],
};

/// The LSST catalogue: Lasair-LSST's tables, keyed by the integer `diaObjectId`.
pub const LSST: Catalog = Catalog {
    survey: "LSST",
    key: "diaObjectId",
    latest: "lastDiaSourceMjdTai",
    position: ("ra", "decl"),
    tables: &[
        LSST_OBJECTS,
        sherlock_classifications!(int("diaObjectId")),
        watchlist_hits!(int("diaObjectId")),
        area_hits!(int("diaObjectId")),
        crossmatch_tns!(int("diaObjectId")),
        annotations!(int("diaObjectId")),
        mma_area_hits!(int("diaObjectId")),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_the_key_and_unique_columns() {
        for cat in [&ZTF, &LSST] {
            for t in cat.tables {
                assert!(t.column(cat.key).is_some(), "{} lacks the key", t.name);
                for (i, c) in t.columns.iter().enumerate() {
                    let dup = t.columns[i + 1..]
                        .iter()
                        .any(|d| d.name.eq_ignore_ascii_case(c.name));
                    assert!(!dup, "{}.{} twice", t.name, c.name);
                }
            }
            assert_eq!(cat.tables[0].name, "objects");
            let (ra, dec) = cat.position;
            let objects = &cat.tables[0];
            assert!(objects.column(ra).is_some() && objects.column(dec).is_some());
            assert!(objects.column(cat.latest).is_some());
        }
    }

    #[test]
    fn both_surveys_have_the_same_tables_with_their_own_key() {
        let names = |c: &Catalog| c.tables.iter().map(|t| t.name).collect::<Vec<_>>();
        assert_eq!(names(&ZTF), names(&LSST));
        let key = |c: &Catalog, t: &str| c.table(t).and_then(|t| t.column(c.key)).map(|k| k.ty);
        assert_eq!(key(&LSST, "annotations"), Some(ColType::Int));
        assert_eq!(key(&ZTF, "annotations"), Some(ColType::Text));
        for c in [&ZTF, &LSST] {
            assert!(c.tables[0].column(c.latest).is_some(), "{}", c.survey);
        }
    }

    #[test]
    fn crossmatch_tns_is_the_key_then_the_tns_columns() {
        for c in [&ZTF, &LSST] {
            let t = c.table("crossmatch_tns").expect("crossmatch_tns");
            let names: Vec<&str> = t.columns.iter().map(|c| c.name).collect();
            assert_eq!(names[0], c.key);
            assert_eq!(names[1..], TNS_COLUMNS);
        }
    }

    #[test]
    fn lookups_ignore_case() {
        assert_eq!(ZTF.table("Objects").map(|t| t.name), Some("objects"));
        assert_eq!(
            ZTF_OBJECTS.column("GMAG").map(|c| c.ty),
            Some(ColType::Real)
        );
        assert!(ZTF_OBJECTS.column("password").is_none());
    }
}
