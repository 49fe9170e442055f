//! `klfit datasets`: the built-in datasets with K, N and H(p).

use klfit::data;
use klfit::report::console::Console;
use klfit::units::number;

pub fn run() -> klfit::Result<()> {
    let mut console = Console::new(false);
    console.line(&format!("{:<14} {:>3} {:>6} {:>12}  description", "name", "K", "N", "H(p) nats"))?;
    for d in data::DATASETS {
        let p = d.sample()?;
        let line =
            format!("{:<14} {:>3} {:>6} {:>12}  {}", d.name, p.k(), p.total_text(), number(p.entropy()), d.description);
        console.line(&line)?;
    }
    Ok(())
}
