//! Where the autograd engine computes: the host CPU (the default) or an NVIDIA GPU through
//! candle's CUDA backend, in a klfit built with `cargo build --release --features cuda`.
//!
//! Only the parameters, the targets and the graph live on the device. Every record is still
//! measured on the host in f64 ([`crate::measure`] copies the logits back each step), so a GPU
//! run's CE, KL and H are computed exactly as a CPU run's are.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, OnceLock};

use candle_core::Device;

use crate::error::{Error, Result};

/// What a klfit built without the `cuda` feature says when asked for a GPU.
pub const NOT_BUILT_WITH_CUDA: &str =
    "this klfit was built without CUDA; rebuild with `cargo build --release --features cuda` to use --device cuda";

/// The device the autograd engine runs on (`--device cpu|cuda[:N]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compute {
    /// The host CPU: the default, and the only device the fused engine runs on.
    #[default]
    Cpu,
    /// The CUDA GPU with this ordinal (0 for the first), in a klfit built with `--features cuda`.
    Cuda(usize),
}

impl Compute {
    /// Whether this is the host CPU.
    pub fn is_cpu(self) -> bool {
        self == Compute::Cpu
    }

    /// Checks, without opening anything, that this klfit can use the device: a GPU needs a build
    /// with the `cuda` feature ([`Error::Usage`] otherwise).
    pub fn validate(self) -> Result<()> {
        match self {
            Compute::Cuda(_) if !cfg!(feature = "cuda") => Err(Error::Usage(NOT_BUILT_WITH_CUDA.into())),
            _ => Ok(()),
        }
    }

    /// The candle device to put tensors on. Opening a GPU fails with [`Error::Usage`] in a build
    /// without the `cuda` feature, and with [`Error::Device`] where the GPU cannot be used (no
    /// driver, no such ordinal).
    ///
    /// A GPU is opened once per process and then shared: candle treats every opening as a device
    /// of its own, whose tensors cannot meet another's, and a model, its targets and its engine
    /// each ask for the device.
    pub fn device(self) -> Result<Device> {
        static OPENED: OnceLock<Mutex<HashMap<usize, Device>>> = OnceLock::new();
        self.validate()?;
        let Compute::Cuda(ordinal) = self else { return Ok(Device::Cpu) };
        let mut opened = OPENED.get_or_init(Mutex::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(device) = opened.get(&ordinal) {
            return Ok(device.clone());
        }
        let device = Device::new_cuda(ordinal).map_err(|e| match e {
            // The driver's own words, without the backtrace candle attaches under RUST_BACKTRACE.
            candle_core::Error::WithBacktrace { inner, .. } => self.error(*inner),
            e => self.error(e),
        })?;
        opened.insert(ordinal, device.clone());
        Ok(device)
    }

    /// What failing to open this device means for klfit.
    fn error(self, e: candle_core::Error) -> Error {
        match e {
            candle_core::Error::NotCompiledWithCudaSupport => Error::Usage(NOT_BUILT_WITH_CUDA.into()),
            e => Error::Device { device: self.to_string(), message: e.to_string() },
        }
    }
}

/// `cpu` or `cuda:N`.
impl fmt::Display for Compute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Compute::Cpu => f.write_str("cpu"),
            Compute::Cuda(ordinal) => write!(f, "cuda:{ordinal}"),
        }
    }
}

/// Parses `cpu`, `cuda` (the first GPU) or `cuda:N`.
impl FromStr for Compute {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let ordinal = |n: &str| n.parse::<usize>().ok().map(Compute::Cuda);
        match s {
            "cpu" => Ok(Compute::Cpu),
            "cuda" => Ok(Compute::Cuda(0)),
            _ => s.strip_prefix("cuda:").and_then(ordinal).ok_or_else(|| {
                format!(
                    "'{}' is not a device; use cpu, cuda or cuda:N (N = 0 for the first GPU)",
                    crate::text::shown(s, 40)
                )
            }),
        }
    }
}
