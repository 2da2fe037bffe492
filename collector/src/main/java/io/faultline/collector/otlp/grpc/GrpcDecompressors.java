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
        DecompressorRegistry.getDefaultInstance()
            .with(new Named("snappy", SnappyFramedInputStream::new), true);
    return ZstdLibrary.unavailable() == null
        ? registry.with(new Named("zstd", ZstdInputStreamNoFinalizer::new), true)
        : registry;
  }

  /** Opens a decoding stream over the compressed one. */
  private interface Decoder {
    InputStream open(InputStream compressed) throws IOException;
  }

  private record Named(String getMessageEncoding, Decoder decoder) implements Decompressor {
    @Override
    public InputStream decompress(InputStream is) throws IOException {
      return decoder.open(is);
    }
  }
}
