//! The dimensions and metrics `runReport` knows, with fixed value lists and
//! the ranges deterministic metric values are drawn from.

/// A dimension: `date` is special (it walks the requested range); every
/// other one has a fixed list of values.
#[derive(Debug)]
pub(crate) struct Dimension {
    pub name: &'static str,
    pub values: &'static [&'static str],
}

static DIMENSIONS: &[Dimension] = &[
    Dimension {
        name: "date",
        values: &[],
    },
    Dimension {
        name: "pagePath",
        values: &[
            "/",
            "/products",
            "/products/espresso",
            "/blog",
            "/blog/brewing-guide",
            "/cart",
            "/checkout",
            "/about",
        ],
    },
    Dimension {
        name: "pageTitle",
        values: &[
            "Home",
            "Products",
            "Espresso Beans",
            "Blog",
            "Brewing Guide",
            "Cart",
            "Checkout",
            "About Us",
        ],
    },
    Dimension {
        name: "sessionSource",
        values: &["google", "(direct)", "facebook.com", "newsletter", "bing"],
    },
    Dimension {
        name: "sessionMedium",
        values: &["organic", "(none)", "referral", "email", "cpc"],
    },
    Dimension {
        name: "sessionDefaultChannelGroup",
        values: &[
            "Organic Search",
            "Direct",
            "Referral",
            "Email",
            "Paid Search",
            "Organic Social",
        ],
    },
    Dimension {
        name: "country",
        values: &[
            "United States",
            "United Kingdom",
            "Germany",
            "Canada",
            "France",
            "India",
        ],
    },
    Dimension {
        name: "deviceCategory",
        values: &["desktop", "mobile", "tablet"],
    },
    Dimension {
        name: "browser",
        values: &["Chrome", "Safari", "Edge", "Firefox"],
    },
    Dimension {
        name: "newVsReturning",
        values: &["new", "returning"],
    },
    Dimension {
        name: "eventName",
        values: &[
            "page_view",
            "session_start",
            "first_visit",
            "user_engagement",
            "scroll",
            "purchase",
        ],
    },
];

pub(crate) fn dimension(name: &str) -> Option<&'static Dimension> {
    DIMENSIONS.iter().find(|d| d.name == name)
}

/// How a metric's values come about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A count summed over days: each day draws from `lo..=hi`, in units of
    /// `1 / scale` (so currency can have cents).
    Additive { lo: u64, hi: u64, scale: u64 },
    /// A rate or average: one draw from `lo..=hi` ten-thousandths per row.
    Ratio { lo: u64, hi: u64 },
}

#[derive(Debug)]
pub(crate) struct Metric {
    pub name: &'static str,
    /// `MetricType` name for the header.
    pub kind: &'static str,
    pub shape: Shape,
}

const fn count(lo: u64, hi: u64) -> Shape {
    Shape::Additive { lo, hi, scale: 1 }
}

static METRICS: &[Metric] = &[
    Metric {
        name: "activeUsers",
        kind: "TYPE_INTEGER",
        shape: count(20, 200),
    },
    Metric {
        name: "newUsers",
        kind: "TYPE_INTEGER",
        shape: count(5, 80),
    },
    Metric {
        name: "totalUsers",
        kind: "TYPE_INTEGER",
        shape: count(25, 220),
    },
    Metric {
        name: "sessions",
        kind: "TYPE_INTEGER",
        shape: count(30, 300),
    },
    Metric {
        name: "engagedSessions",
        kind: "TYPE_INTEGER",
        shape: count(15, 200),
    },
    Metric {
        name: "screenPageViews",
        kind: "TYPE_INTEGER",
        shape: count(50, 600),
    },
    Metric {
        name: "eventCount",
        kind: "TYPE_INTEGER",
        shape: count(200, 2000),
    },
    Metric {
        name: "conversions",
        kind: "TYPE_FLOAT",
        shape: count(0, 20),
    },
    Metric {
        name: "keyEvents",
        kind: "TYPE_FLOAT",
        shape: count(0, 20),
    },
    Metric {
        name: "userEngagementDuration",
        kind: "TYPE_SECONDS",
        shape: count(300, 6000),
    },
    Metric {
        name: "totalRevenue",
        kind: "TYPE_CURRENCY",
        shape: Shape::Additive {
            lo: 0,
            hi: 50_000,
            scale: 100,
        },
    },
    Metric {
        name: "bounceRate",
        kind: "TYPE_FLOAT",
        shape: Shape::Ratio {
            lo: 2_000,
            hi: 7_000,
        },
    },
    Metric {
        name: "engagementRate",
        kind: "TYPE_FLOAT",
        shape: Shape::Ratio {
            lo: 3_000,
            hi: 8_000,
        },
    },
    Metric {
        name: "averageSessionDuration",
        kind: "TYPE_SECONDS",
        shape: Shape::Ratio {
            lo: 300_000,
            hi: 4_000_000,
        },
    },
    Metric {
        name: "sessionsPerUser",
        kind: "TYPE_FLOAT",
        shape: Shape::Ratio {
            lo: 10_000,
            hi: 20_000,
        },
    },
    Metric {
        name: "screenPageViewsPerSession",
        kind: "TYPE_FLOAT",
        shape: Shape::Ratio {
            lo: 10_000,
            hi: 60_000,
        },
    },
];

pub(crate) fn metric(name: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|m| m.name == name)
}
