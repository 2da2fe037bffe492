/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.grpc;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.faultline.core.compress.ZstdLibrary;
import io.grpc.Decompressor;
import io.grpc.DecompressorRegistry;
import java.io.IOException;
import java.io.InputStream;
import org.xerial.snappy.SnappyFramedInputStream;

/**
 * The {@code grpc-encoding}s the OTLP/gRPC receiver decodes: grpc-java's own ({@code gzip}) plus
 * the two more the OpenTelemetry Collector's gRPC exporters offer, {@code zstd} (when zstd-jni's
 * native library loads) and {@code snappy} (the snappy framing format, as the Collector's codec
 * writes it). All are advertised in {@code grpc-accept-encoding}. grpc-java enforces the message
 * size limit on the decompressed bytes too, so a compression bomb ends in RESOURCE_EXHAUSTED.
 */
final class GrpcDecompressors {
  private GrpcDecompressors() {}

  static DecompressorRegistry registry() {
    DecompressorRegistry registry =
        DecompressorRegistry.getDefaultInstance().with(new Snappy(), true);
    return ZstdLibrary.unavailable() == null ? registry.with(new Zstd(), true) : registry;
  }

  private static final class Zstd implements Decompressor {
    @Override
    public String getMessageEncoding() {
      return "zstd";
    }

    @Override
    public InputStream decompress(InputStream is) throws IOException {
      return new ZstdInputStreamNoFinalizer(is);
    }
  }

  private static final class Snappy implements Decompressor {
    @Override
    public String getMessageEncoding() {
      return "snappy";
    }

    @Override
    public InputStream decompress(InputStream is) throws IOException {
      return new SnappyFramedInputStream(is);
    }
  }
}
