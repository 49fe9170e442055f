//! The calculator's divergences (`klfit::measure::compare`, `klfit divergence`) against
//! independent references: KL of nearly equal distributions against mpmath at 50 digits on the
//! decimals a file holds, JS against scipy and against its definition, TV in exact integer
//! arithmetic, KL ≥ 0 and KL(p‖p) = 0 exactly on random distributions, H ≤ ln K for every
//! probability file accepted. (One H from counts beyond 2⁵³ in every command: cli/tests/cli_output.rs.)
//!
//! The recorded values come from `tests/references/divergences.py` (mpmath 1.3, scipy 1.17).
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

// Reference values keep the digits their 50- or 60-digit computation printed.
#![allow(clippy::excessive_precision, clippy::approx_constant)]

use std::io::Write;

use klfit::files::read_distribution;
use klfit::measure::{compare, compare::kl};
use klfit::Empirical;
use proptest::prelude::*;
use tempfile::NamedTempFile;

/// A `category,probability` file holding `values` as written.
fn probability_file(values: &[&str]) -> NamedTempFile {
    let mut file = NamedTempFile::new().unwrap();
    writeln!(file, "category,probability").unwrap();
    for (i, v) in values.iter().enumerate() {
        writeln!(file, "c{i},{v}").unwrap();
    }
    file
}

/// p from whole counts (labels 0, 1, ...).
fn counts(c: &[u64]) -> Empirical {
    Empirical::from_whole_counts((0..c.len()).map(|i| i.to_string()).collect(), c.to_vec()).unwrap()
}

/// p, q, KL(p‖q), KL(q‖p) and JS(p, q) of the decimals as written, by mpmath at 50 digits.
type Pair = (&'static [&'static str], &'static [&'static str], f64, f64, f64);

const NEARLY_EQUAL: &[Pair] = &[
    (
        &["0.761058", "0.238942"],
        &["0.760943496079845", "0.239056503920155"],
        3.6041703411929686521e-8,
        3.6045651786347663921e-8,
        9.0109193321702351796e-9,
    ),
    (
        &["0.111155", "0.438591", "0.450254"],
        &["0.111157270229", "0.438690073814", "0.450152655957"],
        2.2618514533579011444e-8,
        2.2618501165149825298e-8,
        5.6546269503742774475e-9,
    ),
    (
        &["0.04563", "0.05541", "0.095578", "0.803382"],
        &["0.04563098777638", "0.05541190009613", "0.09560755897478", "0.80334955315271"],
        5.2683584436242635686e-9,
        5.2688211213477827071e-9,
        1.3171474410581435995e-9,
    ),
    (
        &["0.857887", "0.142113"],
        &["0.857899440178", "0.142100559822"],
        6.3471746138832587365e-10,
        6.3470200827704532358e-10,
        1.5867743366450672794e-10,
    ),
    (
        &["0.39704", "0.044055", "0.558905"],
        &["0.39704065723411", "0.04402348498181", "0.55893585778408"],
        1.2129970161475940013e-8,
        1.2127296026908272943e-8,
        3.0321582133690534416e-9,
    ),
    (
        &["0.029675", "0.223008", "0.224251", "0.359668", "0.07122", "0.092178"],
        &[
            "0.02968617490466",
            "0.22301111577326",
            "0.22419483242515",
            "0.35966055490011",
            "0.07121696541797",
            "0.09223035657885",
        ],
        2.4165790000553819667e-8,
        2.4168278848487792443e-8,
        6.0417585484972467572e-9,
    ),
    (
        &["0.406766", "0.091835", "0.111003", "0.231088", "0.072444", "0.086864"],
        &[
            "0.4068128246036",
            "0.0918332421271",
            "0.1109753733202",
            "0.2310933098401",
            "0.0724194422263",
            "0.0868658078827",
        ],
        1.0393349354661390371e-8,
        1.0392697467936846336e-8,
        2.5982558452482342841e-9,
    ),
    (
        &["0.040107", "0.020847", "0.04989", "0.55631", "0.332846"],
        &["0.040107407433", "0.02084741327", "0.049889865947", "0.556208780584", "0.332946532766"],
        2.4395187055537488828e-8,
        2.4396156616399472674e-8,
        6.0989179413945598878e-9,
    ),
    (
        &["0.204012", "0.433865", "0.049106", "0.203179", "0.109838"],
        &["0.20412685372359", "0.433865", "0.04907816730974", "0.20309578081951", "0.10983419814716"],
        5.7321516889546738072e-8,
        5.7323760883259434149e-8,
        1.433065955873621831e-8,
    ),
    (
        &["0.514606", "0.485394"],
        &["0.5143646278499", "0.4856353721501"],
        1.1661836578285694802e-7,
        1.1661945400474700358e-7,
        2.9154727189165779832e-8,
    ),
    (
        &["0.203154", "0.04248", "0.754366"],
        &["0.203156768668", "0.042503693776", "0.754339537556"],
        7.0883165158567833856e-9,
        7.0895390102636113247e-9,
        1.7722319193637282831e-9,
    ),
    (
        &["0.350485", "0.155365", "0.49415"],
        &["0.35048438324026", "0.15536702028552", "0.49414859647422"],
        1.5671131843768658068e-11,
        1.5671186572788337489e-11,
        3.9177898020463037917e-12,
    ),
    (
        &["0.111721", "0.888279"],
        &["0.111778307100863", "0.888221692899137"],
        1.6541423020178797412e-8,
        1.6543895044774831581e-8,
        4.1356647177864444533e-9,
    ),
    (
        &["0.020238", "0.432283", "0.098961", "0.140967", "0.228284", "0.079267"],
        &["0.020238", "0.432241176052", "0.098969564586", "0.14096752736", "0.22828347264", "0.079300259362"],
        9.371215186063245168e-9,
        9.372136111482280174e-9,
        2.3429188991789282876e-9,
    ),
    (
        &["0.186119", "0.165405", "0.092432", "0.556044"],
        &["0.186111080709663", "0.165409337812109", "0.092431202924965", "0.556048378553263"],
        2.4604162123236931858e-10,
        2.460397641211126231e-10,
        6.1510173165586352504e-11,
    ),
    (
        &["0.059542", "0.031127", "0.623302", "0.003872", "0.282157"],
        &["0.05948775685601", "0.03113980027301", "0.623302", "0.00387449647826", "0.28219594639272"],
        3.0846246597382635917e-8,
        3.0839393862029506595e-8,
        7.7107048348826960116e-9,
    ),
    (
        &["0.146763", "0.068908", "0.075873", "0.124389", "0.584067"],
        &["0.14679629959019", "0.06887470040981", "0.07583732564172", "0.12442771741337", "0.58406395694491"],
        2.6247408690526972605e-8,
        2.6245707556140284995e-8,
        6.5616394838162366086e-9,
    ),
    (
        &["0.129031", "0.339636", "0.042356", "0.197047", "0.0402", "0.25173"],
        &["0.129046812791", "0.339636", "0.042357138881", "0.1970490051627", "0.0401986334274", "0.2517124097379"],
        1.6322042241292486967e-9,
        1.6322293927043497586e-9,
        4.0805420192097580882e-10,
    ),
    (
        &["0.403311", "0.596689"],
        &["0.4034102906622", "0.5965897093378"],
        2.0482154084570134355e-8,
        2.04826985209716099e-8,
        5.1206065655958129989e-9,
    ),
    (
        &["0.125665", "0.534943", "0.339392"],
        &["0.12568334744", "0.534939412115", "0.339377240445"],
        1.6722331309270162072e-9,
        1.6722936268596495727e-9,
        4.1806584441965838233e-10,
    ),
];

#[test]
fn divergences_of_nearly_equal_files_are_within_1e_9_of_the_decimal_truth() {
    // The files' decimals differ by 1e-6 to 1e-3 relative; their f64 roundings (1e-16) then
    // move KL and JS by at most ~2e-10 relative. Summed as Σ p ln(p/q) alone, the rounding of
    // Σ q (~1e-16) would enter to first order: 5e-5 relative at KL ~ 2e-12.
    let mut worst = 0.0f64;
    for (p, q, kl_pq, kl_qp, js) in NEARLY_EQUAL {
        let (p_file, q_file) = (probability_file(p), probability_file(q));
        let p = read_distribution(p_file.path(), false, false).unwrap();
        let q = read_distribution(q_file.path(), false, false).unwrap();
        let c = compare(&p, &q);
        for (got, truth) in [(c.kl_pq, *kl_pq), (c.kl_qp, *kl_qp), (c.js, *js)] {
            let relative = (got - truth).abs() / truth;
            worst = worst.max(relative);
            assert!(relative <= 1e-9, "{p:?} vs {q:?}: {got:e} against {truth:e}, {relative:e} relative");
        }
    }
    eprintln!("nearly equal pairs: worst {worst:.1e} relative");
}

/// (counts of p, counts of q, scipy.spatial.distance.jensenshannon(p, q) ** 2).
const SCIPY_JS: &[(&[u64], &[u64], f64)] = &[
    (&[19, 1, 8, 9, 2], &[4, 10, 17, 18, 2], 0.13387180909429813),
    (&[4, 19, 14], &[16, 14, 1], 0.1592881918419631),
    (&[19, 17, 15, 18, 10, 9, 7], &[18, 11, 14, 11, 0, 20, 11], 0.06077119595884731),
    (&[3, 12, 3, 2, 9, 6], &[4, 20, 20, 1, 10, 10], 0.04789823912547321),
    (&[14, 1, 15, 9], &[4, 16, 6, 14], 0.17064169165296228),
    (&[3, 17, 16, 7, 16, 3], &[4, 17, 0, 12, 19, 12], 0.11718570158172105),
    (&[9, 3, 18], &[19, 10, 11], 0.05748218805230198),
    (&[13, 5, 13, 9, 3, 17, 13, 13], &[19, 1, 8, 20, 11, 20, 10, 14], 0.03597305077652706),
    (&[1, 3], &[13, 11], 0.04528298121642935),
    (&[18, 9, 6, 1, 16, 17, 15], &[18, 9, 2, 13, 19, 3, 7], 0.08997039865041037),
];

#[test]
fn js_is_scipys_jensenshannon_squared() {
    for (a, b, js) in SCIPY_JS {
        let got = compare(&counts(a), &counts(b)).js;
        assert!((got - js).abs() <= 1e-13 * js, "{a:?} {b:?}: {got:e} against scipy's {js:e}");
    }
}

/// Counts over K = 1..=6 categories, zeros likely, not all 0.
fn small_counts(k: usize) -> impl Strategy<Value = Vec<u64>> {
    prop::collection::vec(prop_oneof![Just(0u64), 0u64..20, 0u64..1_000_000], k)
        .prop_filter("not all zero", |c| c.iter().any(|&c| c > 0))
}

/// A Dirichlet-like p with small α: x_i = −ln(v_i)·u_i^(1/α) (Gamma(α) ≈ Gamma(1 + α)·U^(1/α),
/// with Gamma(1 + α) taken as Exp(1)), so most of the mass sits on a few categories and the
/// rest is tiny or underflows to 0.
fn dirichlet(k: usize) -> impl Strategy<Value = Vec<f64>> {
    (prop::collection::vec((0.0f64..1.0, 1e-12f64..1.0), k), prop_oneof![Just(0.05), Just(0.3), Just(1.0)])
        .prop_map(|(uv, alpha)| uv.iter().map(|&(u, v): &(f64, f64)| -v.ln() * u.powf(1.0 / alpha)).collect())
        .prop_filter("not all zero", |x: &Vec<f64>| x.iter().any(|&x| x > 0.0))
}

fn weights(x: &[f64]) -> Empirical {
    Empirical::from_counts((0..x.len()).map(|i| i.to_string()).collect(), x.to_vec()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn kl_is_never_negative_and_zero_exactly_from_p_to_itself(a in (1usize..=12).prop_flat_map(dirichlet), b in dirichlet(12)) {
        let p = weights(&a);
        let q = weights(&b[..a.len()].iter().map(|x| x + 1e-300).collect::<Vec<_>>());
        let c = compare(&p, &q);
        prop_assert!(c.kl_pq >= 0.0 && c.kl_qp >= 0.0, "{c:?}");
        prop_assert_eq!(kl(p.probs(), p.probs()), 0.0);
        let same = compare(&p, &p);
        prop_assert_eq!((same.kl_pq, same.kl_qp, same.js, same.tv), (0.0, 0.0, 0.0, 0.0));
        prop_assert!((same.cross_entropy - same.entropy).abs() <= 1e-15 * (1.0 + same.entropy));
    }

    #[test]
    fn js_and_tv_match_their_definitions((a, b) in (1usize..=6).prop_flat_map(|k| (small_counts(k), small_counts(k)))) {
        let (na, nb) = (a.iter().sum::<u64>() as i128, b.iter().sum::<u64>() as i128);
        let c = compare(&counts(&a), &counts(&b));
        // TV = Σ |a_i·N_b − b_i·N_a| / (2·N_a·N_b), in integers, then one correctly rounded division.
        let numerator: i128 = a.iter().zip(&b).map(|(&x, &y)| (x as i128 * nb - y as i128 * na).abs()).sum();
        let tv = numerator as f64 / (2 * na * nb) as f64;
        prop_assert!((c.tv - tv).abs() <= 4.0 * f64::EPSILON * tv, "TV {} against {tv}", c.tv);
        // JS = Σ ½ [p ln(p/m) + q ln(q/m)]: p/m = 2·a·N_b / (a·N_b + b·N_a) = 1 + t/s, with
        // t = a·N_b − b·N_a and s = a·N_b + b·N_a integers, so ln(p/m) = ln1p(t/s), each term
        // good to a few ulps; their sum cancels (terms of both signs), hence the tolerance.
        let term = |x: u64, nx: i128, y: u64, ny: i128| -> f64 {
            if x == 0 { return 0.0; }
            let (t, s) = (x as i128 * ny - y as i128 * nx, x as i128 * ny + y as i128 * nx);
            0.5 * (x as f64 / nx as f64) * (t as f64 / s as f64).ln_1p()
        };
        let parts: Vec<f64> = a.iter().zip(&b).flat_map(|(&x, &y)| [term(x, na, y, nb), term(y, nb, x, na)]).collect();
        let js: f64 = parts.iter().sum();
        let scale: f64 = parts.iter().map(|t| t.abs()).sum();
        prop_assert!((c.js - js).abs() <= 8.0 * f64::EPSILON * scale, "JS {} against {js}", c.js);
        prop_assert!(c.js >= 0.0 && c.js <= std::f64::consts::LN_2);
        prop_assert_eq!(c.js.to_bits(), compare(&counts(&b), &counts(&a)).js.to_bits(), "JS is symmetric");
    }

    #[test]
    fn every_probability_file_accepted_has_entropy_at_most_ln_k(
        (k, digits, skew) in (1usize..=12, 3usize..=17, 0u32..3),
        off in -9e-10f64..9e-10,
        seed in any::<u64>(),
    ) {
        // Probabilities written with `digits` decimals: uniform (1/K rounded), or skewed, the
        // last one absorbing the rest plus `off`, so files sum to 1 within the 1e-9 accepted.
        let mut x: Vec<f64> = (0..k).map(|i| match skew {
            0 => 1.0,
            1 => ((seed >> (i % 60)) & 7) as f64 + 0.5,
            _ => 10f64.powi(-(((seed >> (i % 60)) & 15) as i32)),
        }).collect();
        let total: f64 = x.iter().sum();
        x.iter_mut().for_each(|v| *v /= total);
        let mut written: Vec<String> = x.iter().map(|v| format!("{v:.digits$}")).collect();
        let rest: f64 = written[..k - 1].iter().map(|s| s.parse::<f64>().unwrap()).sum();
        written[k - 1] = format!("{:.17}", (1.0 - rest + off).max(0.0));
        let file = probability_file(&written.iter().map(String::as_str).collect::<Vec<_>>());
        if let Ok(p) = read_distribution(file.path(), false, false) {
            let ln_k = (k as f64).ln();
            prop_assert!(p.entropy() <= ln_k, "H = {} > ln K = {ln_k} for {written:?}", p.entropy());
            prop_assert!(p.entropy() >= 0.0);
            let uniform = vec![1.0 / k as f64; k];
            prop_assert!(kl(p.probs(), &uniform) >= 0.0);
            prop_assert_eq!(kl(p.probs(), p.probs()), 0.0);
        }
    }
}

#[test]
fn a_file_summing_to_just_under_one_is_normalised_before_use() {
    // Within the 1e-9 accepted, but as written H(p) = 0.6931471807 > ln 2 and KL(p‖uniform) < 0.
    let p = read_distribution(probability_file(&["0.5", "0.4999999995"]).path(), false, false).unwrap();
    let q = read_distribution(probability_file(&["0.5", "0.5"]).path(), false, false).unwrap();
    let c = compare(&p, &q);
    assert!(c.entropy <= std::f64::consts::LN_2, "{c:?}");
    // Normalised, p = (0.5000000002500000001, 0.4999999997499999999): by mpmath, KL(p‖q) =
    // 1.250000001250000001e-19, 2Δ² with Δ = 2.5e-10. The file's 0.4999999995 is held as an f64
    // within 2.8e-17 of it, which moves Δ by up to 1.1e-7 of itself and KL by twice that.
    let truth = 1.250000001250000001e-19;
    assert!((c.kl_pq - truth).abs() <= 2.5e-7 * truth, "{:e}", c.kl_pq);
}

#[test]
fn differences_and_logs_keep_the_digits_rounding_to_f64_drops() {
    // p = (1e-20, 1) normalised: its total 1 + 1e-20 rounds to 1, so the f64 probabilities are
    // (1e-20, 1) and TV computed from them, ½(1e-20 + 0), is half the truth 1e-20/(1 + 1e-20).
    let p = read_distribution(probability_file(&["1e-20", "1"]).path(), false, false).unwrap();
    let q = read_distribution(probability_file(&["0", "1"]).path(), false, false).unwrap();
    let tv = compare(&p, &q).tv;
    assert!((tv - 1e-20).abs() <= 1e-15 * 1e-20, "TV {tv:e}");
    // Counts (1e18, 1) against (1e18, 2): ln q of the first category is −2e-18, and ln of its f64
    // (1.0) is 0, which took 2e-18 from CE (4.7%). By mpmath at 50 digits: CE 4.27533844933329e-17,
    // KL(p‖q) 3.06852819440055e-19, KL(q‖p) 3.86294361119891e-19.
    let c = compare(&counts(&[1_000_000_000_000_000_000, 1]), &counts(&[1_000_000_000_000_000_000, 2]));
    for (got, truth) in
        [(c.cross_entropy, 4.27533844933329e-17), (c.kl_pq, 3.06852819440055e-19), (c.kl_qp, 3.86294361119891e-19)]
    {
        assert!((got - truth).abs() <= 1e-13 * truth, "{got:e} against {truth:e}");
    }
}
