//! CPU time and memory of a process from `/proc`, and a description of the machine, so
//! the results say what they were measured on.

use anyhow::{Context, Result};

/// User plus system CPU time of a whole process (all threads), in clock ticks.
pub fn cpu_ticks(pid: &str) -> Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    parse_cpu_ticks(&stat).with_context(|| format!("parsing /proc/{pid}/stat"))
}

/// `utime + stime` from a `/proc/<pid>/stat` line. The command name (field 2) may hold
/// spaces and parentheses, so fields are counted from the last `)`.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // After the name: state is field 3, so utime (14) and stime (15) are the 12th and
    // 13th fields here.
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on every Linux this runs on).
pub fn ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100)
}

/// A `kB` line of `/proc/<pid>/status`, e.g. `VmHWM` (peak resident set) or `VmRSS`.
pub fn status_kib(pid: &str, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    parse_status_kib(&status, field).with_context(|| format!("no {field} in /proc/{pid}/status"))
}

fn parse_status_kib(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let value = line.strip_prefix(field)?.strip_prefix(':')?;
        value.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// What the benchmark ran on.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Machine {
    pub nproc: usize,
    pub cpu_model: String,
    pub kernel: String,
    /// 1-minute load average when the benchmark started: other work on the box skews
    /// every number, and this shows whether there was any.
    pub load_average_at_start: f64,
}

impl Machine {
    pub fn describe() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|line| {
                let (key, value) = line.split_once(':')?;
                (key.trim() == "model name").then(|| value.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map_or_else(|_| "unknown".to_owned(), |text| text.trim().to_owned());
        let load_average_at_start = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|text| text.split_whitespace().next()?.parse().ok())
            .unwrap_or(f64::NAN);
        Self {
            nproc: std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
            cpu_model,
            kernel,
            load_average_at_start,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_counted_after_a_command_name_with_spaces_and_parens() {
        let stat = "4242 (auth (gate) way) S 1 4242 4242 0 -1 4194560 1000 0 0 0 \
                    1500 250 0 0 20 0 9 0 12345 1000000 2000 18446744073709551615";
        assert_eq!(parse_cpu_ticks(stat), Some(1750));
        assert_eq!(parse_cpu_ticks("garbage"), None);
    }

    #[test]
    fn status_fields_are_read_in_kib() {
        let status =
            "Name:\tauth-gateway\nVmPeak:\t  100 kB\nVmHWM:\t   23456 kB\nVmRSS:\t 20000 kB\n";
        assert_eq!(parse_status_kib(status, "VmHWM"), Some(23456));
        assert_eq!(parse_status_kib(status, "VmRSS"), Some(20000));
        assert_eq!(parse_status_kib(status, "VmSwap"), None);
    }

    #[test]
    fn this_process_has_cpu_time_and_a_peak_rss() {
        assert!(cpu_ticks("self").is_ok());
        assert!(status_kib("self", "VmHWM").unwrap() > 0);
    }
}
