/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time and peak memory of a process from Linux's {@code /proc}: the only fair way to charge CPU
 * to the server when the load generator runs on the same two cores.
 */
final class ProcStats {
  /** Clock ticks per second for {@code /proc/<pid>/stat} ({@code getconf CLK_TCK}). */
  static final long DEFAULT_CLOCK_TICKS = 100;

  private final long clockTicks;

  ProcStats(long clockTicks) {
    this.clockTicks = clockTicks;
  }

  /** Asks {@code getconf CLK_TCK}; 100 (Linux's value on every common platform) if that fails. */
  static ProcStats detect() {
    try {
      Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(getconf.getInputStream().readAllBytes()).trim();
      if (getconf.waitFor() == 0) {
        return new ProcStats(Long.parseLong(out));
      }
    } catch (IOException | NumberFormatException e) {
      // fall through to the default
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return new ProcStats(DEFAULT_CLOCK_TICKS);
  }

  long clockTicks() {
    return clockTicks;
  }

  /** User plus system CPU seconds the process has used so far. */
  double cpuSeconds(long pid) throws IOException {
    return cpuTicks(Files.readString(Path.of("/proc", Long.toString(pid), "stat")))
        / (double) clockTicks;
  }

  /** Where a JVM's CPU goes, by kind of thread. */
  record CpuBreakdown(double jitSeconds, double gcSeconds) {
    CpuBreakdown minus(CpuBreakdown earlier) {
      return new CpuBreakdown(jitSeconds - earlier.jitSeconds, gcSeconds - earlier.gcSeconds);
    }
  }

  /**
   * CPU seconds of a JVM's JIT compiler threads ({@code C1/C2 CompilerThre…}) and garbage
   * collector threads (HotSpot names them {@code GC Thread#n}, {@code G1 …}, {@code VM Thread}
   * excluded), from {@code /proc/<pid>/task/*}. A thread that has exited is no longer listed, so
   * these are lower bounds.
   */
  CpuBreakdown cpuBreakdown(long pid) throws IOException {
    long jit = 0;
    long gc = 0;
    Path tasks = Path.of("/proc", Long.toString(pid), "task");
    try (var dirs = Files.newDirectoryStream(tasks)) {
      for (Path task : dirs) {
        String comm;
        long ticks;
        try {
          comm = Files.readString(task.resolve("comm")).trim();
          ticks = cpuTicks(Files.readString(task.resolve("stat")));
        } catch (IOException | IllegalArgumentException e) {
          continue; // the thread ended while we looked
        }
        if (comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler")) {
          jit += ticks;
        } else if (comm.startsWith("GC Thread") || comm.startsWith("G1 ")) {
          gc += ticks;
        }
      }
    }
    return new CpuBreakdown(jit / (double) clockTicks, gc / (double) clockTicks);
  }

  /** Peak resident set size ({@code VmHWM}) in bytes. */
  long peakRssBytes(long pid) throws IOException {
    return vmHwmKib(Files.readString(Path.of("/proc", Long.toString(pid), "status"))) * 1024;
  }

  /** The machine's memory ({@code MemTotal}), or 0 when unknown. */
  static long machineMemoryBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // unknown
    }
    return 0;
  }

  /**
   * utime + stime (fields 14 and 15) of a {@code /proc/<pid>/stat} line. The command name (field 2)
   * is in parentheses and may itself hold spaces or parentheses, so fields are counted from the
   * last ')'.
   */
  static long cpuTicks(String stat) {
    int close = stat.lastIndexOf(')');
    if (close < 0) {
      throw new IllegalArgumentException("not a /proc/<pid>/stat line: " + stat);
    }
    String[] fields = stat.substring(close + 1).trim().split("\\s+");
    // fields[0] is field 3 (state), so field n is fields[n - 3]
    return Long.parseLong(fields[14 - 3]) + Long.parseLong(fields[15 - 3]);
  }

  /** The {@code VmHWM} value in KiB of a {@code /proc/<pid>/status} text. */
  static long vmHwmKib(String status) {
    for (String line : status.split("\n")) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
      }
    }
    throw new IllegalArgumentException("no VmHWM line in /proc/<pid>/status");
  }
}
