//! Which Binomial(n, θ) loses the least information about the clinic-visits data (visits per
//! patient per year, 0 to 10)? KL(p‖q) and KL(q‖p) along θ over (0, 1), their minima (θ* = mean / n
//! in closed form for the forward one), the iterates of gradient descent on the forward curve,
//! and the uniform q for comparison. Writes plots/sweep.png and .svg.
//!
//!     cargo run --release --example binomial_sweep

use klfit::model::floor::Landscape;
use klfit::model::{Family, Init};
use klfit::plot::{sweep, Sweep};
use klfit::report::OutputDir;
use klfit::{data, train, Objective, OptimizerKind, TrainConfig};

fn main() -> anyhow::Result<()> {
    let p = data::dataset("clinic-visits")?.sample()?;
    let mut out = OutputDir::open("plots")?; // held for the run; written all-or-nothing at the end

    // Both KLs on 999 values of θ, and their minima.
    let landscape = Landscape::binomial(&p, 999)?;
    // Gradient descent on KL(p‖q) from θ = 0.95, far up the right slope.
    let config = TrainConfig {
        objective: Objective::KlDivergence,
        optimizer: OptimizerKind::Sgd,
        lr: 0.1,
        steps: 100,
        model: Family::Binomial,
        init: Init::Values(vec![("theta".into(), 0.95)]),
        ..TrainConfig::default()
    };
    let run = train(&p, &config, |_| {})?;

    let (theta_star, kl_star) = landscape.forward_min;
    let (theta_rev, kl_rev) = landscape.reverse_min;
    let theta_run = run.final_parameters()[0].1;
    println!("forward min   θ* = mean/n = {theta_star:.12}  KL(p‖q) = {kl_star:.12}");
    println!("trained       θ           = {theta_run:.12}  KL(p‖q) = {:.12}", run.last().metrics.kl_divergence);
    println!("reverse min   θ           = {theta_rev:.12}  KL(q‖p) = {kl_rev:.12}");
    println!("uniform       KL(p‖u) = {:.12}  KL(u‖p) = {:.12}", landscape.uniform.0, landscape.uniform.1);

    let chart = Sweep {
        landscape: &landscape,
        run: &run,
        run_label: "SGD lr 0.1 from θ = 0.95",
        subtitle: "clinic-visits · K = 11 · N = 2000 · KL in nats against θ of Binomial(10, θ)",
    };
    for (name, bytes) in sweep(&chart)? {
        out.stage(&name, |w| w.write_all(&bytes))?;
    }
    // No stale list: the other files in plots/ belong to other examples.
    for path in out.commit(&[])? {
        println!("wrote {}", path.display());
    }
    Ok(())
}
