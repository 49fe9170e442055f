//! `klfit info`: K, N, H(p), ln K and KL(p‖uniform) of some data, as text or JSON.

use klfit::measure::compare;

use klfit::report::console::Console;
use klfit::report::summary::json_number;
use klfit::units::residual;
use serde_json::json;

use crate::cli::InfoArgs;

pub fn run(args: &InfoArgs) -> klfit::Result<()> {
    let source = args.data.source();
    let p = args.smoothing.apply(source.load()?)?;
    let u = args.units;
    let k = p.k() as f64;
    let uniform = vec![1.0 / k; p.k()];
    let kl_uniform = compare::kl(p.probs(), &uniform);
    let (h, max_h) = (p.entropy(), k.ln());
    let mut console = Console::new(false);
    if args.json {
        let object = json!({
            "units": u.name(),
            "data": source.name(),
            "categories": p.k(),
            "observations": klfit::report::summary::json_total(&p),
            "entropy": json_number(u.convert(h)),
            "max_entropy": json_number(u.convert(max_h)),
            "kl_to_uniform": json_number(u.convert(kl_uniform)),
        });
        return console.line(&object.to_string());
    }
    let both = |v: f64| u.both(v);
    let lines = [
        format!("data           {}", source.name()),
        format!("categories     K = {}", p.k()),
        format!("observations   N = {}", p.total_text()),
        format!("entropy        H(p) = {}", both(h)),
        format!("max entropy    ln K = {}", both(max_h)),
        format!(
            "KL(p‖uniform)  {}   (measured; ln K − H(p) − KL = {} {})",
            both(kl_uniform),
            residual(u.convert(max_h - h - kl_uniform)),
            u.name()
        ),
    ];
    for line in lines {
        console.line(&line)?;
    }
    if p.k() == 1 {
        console.line("note           K = 1: one category holds all the data, so every quantity is 0")?;
    }
    Ok(())
}
