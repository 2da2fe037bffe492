/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.compress;

/**
 * Whether Zstandard (zstd-jni's native library) can be used in this process: the trace store
 * compresses stored spans with it, the OTLP receivers decode {@code zstd} request bodies with it.
 * zstd-jni unpacks its library into {@code java.io.tmpdir}, or into the directory named by the
 * {@code ZstdTempFolder} system property; where neither can run native code, callers fall back
 * (DEFLATE for the index) or refuse the encoding (415 for a request body).
 */
public final class ZstdLibrary {
  private ZstdLibrary() {}

  /** Why the native library did not load, or null when it did. Tried once, on first use. */
  public static String unavailable() {
    return Probe.UNAVAILABLE;
  }

  /** Class initialisation is the lock: the library is loaded at most once. */
  private static final class Probe {
    static final String UNAVAILABLE = load();

    private static String load() {
      try {
        com.github.luben.zstd.util.Native.load();
        return null;
      } catch (LinkageError | RuntimeException e) {
        return e.toString();
      }
    }
  }
}
