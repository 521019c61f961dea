//! Deterministic sample data every account sees until a test sets its own.
//!
//! Ads: manager `1234567890` "Acme Agency MCC" with clients `2345678901`
//! "Blue Harbor Coffee" and `3456789012` "Blue Ridge Outfitters" (the two share
//! "Blue" for ambiguity tests), plus `4567890123` "Northwind Bakery", directly
//! accessible. Analytics: accounts `201234567` (properties `312345678`,
//! `312345679`) and `209876543` (property `398765432`).

use super::model::{
    AdsAd, AdsAdGroup, AdsCampaign, AdsCustomer, AdsMetrics, GaAccount, GaProperty,
};

/// Ids of the sample Ads customers, for tests.
pub mod ids {
    pub const MANAGER: &str = "1234567890";
    pub const BLUE_HARBOR: &str = "2345678901";
    pub const BLUE_RIDGE: &str = "3456789012";
    pub const NORTHWIND: &str = "4567890123";
}

/// Metrics whose values divide by 30 so `DURING LAST_30_DAYS` reproduces them.
fn metrics(impressions: u64, clicks: u64, cost_micros: u64, conversions: f64) -> AdsMetrics {
    AdsMetrics {
        impressions,
        clicks,
        cost_micros,
        conversions,
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn search_ad(id: &str, status: &str, headlines: &[&str], url: &str, m: AdsMetrics) -> AdsAd {
    AdsAd {
        id: id.to_owned(),
        name: String::new(),
        ad_type: "RESPONSIVE_SEARCH_AD".to_owned(),
        status: status.to_owned(),
        headlines: strings(headlines),
        final_urls: vec![url.to_owned()],
        image_url: None,
        metrics: m,
    }
}

fn image_ad(id: &str, name: &str, image: &str, url: &str, m: AdsMetrics) -> AdsAd {
    AdsAd {
        id: id.to_owned(),
        name: name.to_owned(),
        ad_type: "IMAGE_AD".to_owned(),
        status: "ENABLED".to_owned(),
        headlines: Vec::new(),
        final_urls: vec![url.to_owned()],
        image_url: Some(image.to_owned()),
        metrics: m,
    }
}

fn ad_group(id: &str, name: &str, status: &str, ads: Vec<AdsAd>) -> AdsAdGroup {
    AdsAdGroup {
        id: id.to_owned(),
        name: name.to_owned(),
        status: status.to_owned(),
        ads,
    }
}

/// A campaign whose metrics are the sum of its ads' (so every level agrees).
fn campaign(
    id: &str,
    name: &str,
    status: &str,
    channel: &str,
    groups: Vec<AdsAdGroup>,
) -> AdsCampaign {
    let mut total = AdsMetrics::default();
    for ad in groups.iter().flat_map(|g| &g.ads) {
        total.impressions += ad.metrics.impressions;
        total.clicks += ad.metrics.clicks;
        total.cost_micros += ad.metrics.cost_micros;
        total.conversions += ad.metrics.conversions;
    }
    AdsCampaign {
        id: id.to_owned(),
        name: name.to_owned(),
        status: status.to_owned(),
        channel_type: channel.to_owned(),
        metrics: total,
        ad_groups: groups,
    }
}

fn customer(
    id: &str,
    name: &str,
    currency: &str,
    zone: &str,
    campaigns: Vec<AdsCampaign>,
) -> AdsCustomer {
    AdsCustomer {
        id: id.to_owned(),
        descriptive_name: name.to_owned(),
        currency_code: currency.to_owned(),
        time_zone: zone.to_owned(),
        manager: false,
        client_ids: Vec::new(),
        campaigns,
    }
}

fn blue_harbor() -> AdsCustomer {
    let espresso = search_ad(
        "41000000001",
        "ENABLED",
        &[
            "Fresh Espresso Beans",
            "Roasted Daily",
            "Free Shipping Over $30",
        ],
        "https://blueharbor.example.com/espresso",
        metrics(18_000, 900, 27_000_000, 54.0),
    );
    let cold_brew = search_ad(
        "41000000002",
        "PAUSED",
        &["Cold Brew Concentrate", "Smooth And Bold"],
        "https://blueharbor.example.com/cold-brew",
        metrics(12_000, 600, 18_000_000, 36.0),
    );
    let banner = image_ad(
        "41000000003",
        "Summer Sale Banner",
        "https://tpc.googlesyndication.com/simgad/10000000000000000001",
        "https://blueharbor.example.com/sale",
        metrics(60_000, 300, 9_000_000, 6.0),
    );
    customer(
        ids::BLUE_HARBOR,
        "Blue Harbor Coffee",
        "USD",
        "America/New_York",
        vec![
            campaign(
                "21000000001",
                "Coffee Brand Search",
                "ENABLED",
                "SEARCH",
                vec![
                    ad_group("31000000001", "Espresso Lovers", "ENABLED", vec![espresso]),
                    ad_group("31000000002", "Cold Brew", "PAUSED", vec![cold_brew]),
                ],
            ),
            campaign(
                "21000000002",
                "Coffee Display Remarketing",
                "PAUSED",
                "DISPLAY",
                vec![ad_group(
                    "31000000003",
                    "Cart Abandoners",
                    "ENABLED",
                    vec![banner],
                )],
            ),
        ],
    )
}

fn blue_ridge() -> AdsCustomer {
    let tents = search_ad(
        "42000000001",
        "ENABLED",
        &["Ultralight Tents", "Camp Anywhere"],
        "https://blueridge.example.com/tents",
        metrics(24_000, 1_200, 36_000_000, 30.0),
    );
    let mut pmax = campaign(
        "22000000002",
        "Spring Performance Max",
        "ENABLED",
        "PERFORMANCE_MAX",
        Vec::new(),
    );
    pmax.metrics = metrics(90_000, 2_700, 54_000_000, 60.0);
    customer(
        ids::BLUE_RIDGE,
        "Blue Ridge Outfitters",
        "USD",
        "America/Denver",
        vec![
            campaign(
                "22000000001",
                "Outdoor Gear Search",
                "ENABLED",
                "SEARCH",
                vec![ad_group("32000000001", "Tents", "ENABLED", vec![tents])],
            ),
            pmax,
        ],
    )
}

fn northwind() -> AdsCustomer {
    let sourdough = search_ad(
        "43000000001",
        "ENABLED",
        &[
            "Sourdough Baked Fresh",
            "Order Online Today",
            "Local Bakery",
        ],
        "https://northwind.example.com/sourdough",
        metrics(6_000, 450, 3_000_000, 15.0),
    );
    let poster = image_ad(
        "43000000002",
        "Croissant Poster",
        "https://tpc.googlesyndication.com/simgad/10000000000000000002",
        "https://northwind.example.com/croissants",
        metrics(15_000, 150, 1_500_000, 3.0),
    );
    customer(
        ids::NORTHWIND,
        "Northwind Bakery",
        "GBP",
        "Europe/London",
        vec![
            campaign(
                "23000000001",
                "Bakery Local Search",
                "ENABLED",
                "SEARCH",
                vec![
                    ad_group("33000000001", "Sourdough", "ENABLED", vec![sourdough]),
                    ad_group("33000000002", "Pastry Images", "ENABLED", vec![poster]),
                ],
            ),
            campaign(
                "23000000002",
                "Holiday Video",
                "REMOVED",
                "VIDEO",
                Vec::new(),
            ),
        ],
    )
}

/// The default Ads world: [manager, its two clients, one direct customer].
pub fn sample_ads_customers() -> Vec<AdsCustomer> {
    let mut manager = customer(
        ids::MANAGER,
        "Acme Agency MCC",
        "USD",
        "America/New_York",
        Vec::new(),
    );
    manager.manager = true;
    manager.client_ids = vec![ids::BLUE_HARBOR.to_owned(), ids::BLUE_RIDGE.to_owned()];
    vec![manager, blue_harbor(), blue_ridge(), northwind()]
}

fn property(id: &str, name: &str, zone: &str, currency: &str) -> GaProperty {
    GaProperty {
        id: id.to_owned(),
        display_name: name.to_owned(),
        time_zone: zone.to_owned(),
        currency_code: currency.to_owned(),
    }
}

/// The default Analytics world: two accounts, three properties.
pub fn sample_analytics_accounts() -> Vec<GaAccount> {
    vec![
        GaAccount {
            id: "201234567".to_owned(),
            display_name: "Blue Harbor Coffee".to_owned(),
            properties: vec![
                property("312345678", "Blue Harbor Web", "America/New_York", "USD"),
                property("312345679", "Blue Harbor App", "America/New_York", "USD"),
            ],
        },
        GaAccount {
            id: "209876543".to_owned(),
            display_name: "Northwind Bakery".to_owned(),
            properties: vec![property(
                "398765432",
                "Northwind Web",
                "Europe/London",
                "GBP",
            )],
        },
    ]
}
