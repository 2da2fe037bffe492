/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.http;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.faultline.collector.SnappyBlocks;
import io.faultline.core.compress.ZstdLibrary;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;
import org.xerial.snappy.Snappy;
import org.xerial.snappy.SnappyFramedInputStream;

/**
 * The {@code Content-Encoding}s of an OTLP/HTTP request body that the receiver decodes: the ones
 * the OpenTelemetry Collector's OTLP receiver decodes, so that every {@code compression} setting of
 * an exporter works against Faultline as against a Collector. {@code deflate} is zlib-wrapped, as
 * HTTP defines it and the Collector reads it; {@code snappy} is the block format, or the framing
 * format when the body starts with its stream header (which the Collector sent as {@code snappy}
 * before v0.125); {@code zstd} is there when zstd-jni's native library loads.
 */
enum ContentEncoding {
  IDENTITY("identity"),
  GZIP("gzip"),
  ZSTD("zstd"),
  ZLIB("zlib"),
  DEFLATE("deflate"),
  SNAPPY("snappy"),
  SNAPPY_FRAMED("x-snappy-framed");

  /** What a 415 names as accepted. */
  static final String ACCEPTED = "gzip, zstd, deflate, zlib, snappy, x-snappy-framed or none";

  /** The first bytes of every snappy framed stream: its stream identifier chunk. */
  private static final byte[] SNAPPY_STREAM_HEADER = {
    (byte) 0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59
  };

  private final String token;

  ContentEncoding(String token) {
    this.token = token;
  }

  /** The header's token, as a message names it. */
  String token() {
    return token;
  }

  /**
   * The encoding a {@code Content-Encoding} header names: {@link #IDENTITY} when it is absent,
   * blank or {@code identity}; null when it is one this receiver cannot decode (a 415), which is
   * also the answer for {@code zstd} where Zstandard's native library did not load.
   */
  static ContentEncoding of(String header) {
    if (header == null || header.isBlank()) {
      return IDENTITY;
    }
    String name = header.trim().toLowerCase(Locale.ROOT);
    for (ContentEncoding e : values()) {
      if (e.token.equals(name)) {
        return e != ZSTD || ZstdLibrary.unavailable() == null ? e : null;
      }
    }
    return null;
  }

  /**
   * The decoded body. Whatever goes wrong while decoding, opening the stream or reading it, comes
   * out as a {@link DecodingException} naming the encoding, so the answer can tell a damaged body
   * from a damaged message.
   *
   * @param wire the body as sent, already bounded by the request size limit
   * @param maxDecoded how many decoded bytes the caller will read at most; a snappy block
   *     declares its size up front, and one declaring more is refused before it is decoded
   * @throws DecodedTooLargeException when a snappy block declares more than {@code maxDecoded}
   */
  InputStream decode(InputStream wire, long maxDecoded) throws IOException {
    if (this == IDENTITY) {
      return wire;
    }
    try {
      return new Decoding(open(wire, maxDecoded));
    } catch (DecodedTooLargeException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new DecodingException(this, e);
    }
  }

  private InputStream open(InputStream wire, long maxDecoded) throws IOException {
    switch (this) {
      case GZIP:
        return new GZIPInputStream(wire);
      case ZSTD:
        return new ZstdInputStreamNoFinalizer(wire);
      case ZLIB:
      case DEFLATE:
        return new InflaterInputStream(wire);
      case SNAPPY_FRAMED:
        return new SnappyFramedInputStream(wire);
      case SNAPPY:
        BufferedInputStream in = new BufferedInputStream(wire, 64 * 1024);
        in.mark(SNAPPY_STREAM_HEADER.length);
        byte[] head = in.readNBytes(SNAPPY_STREAM_HEADER.length);
        in.reset();
        return Arrays.equals(head, SNAPPY_STREAM_HEADER)
            ? new SnappyFramedInputStream(in)
            : snappyBlock(in.readAllBytes(), maxDecoded);
      default:
        throw new AssertionError(this);
    }
  }

  private static InputStream snappyBlock(byte[] block, long maxDecoded) throws IOException {
    long length = SnappyBlocks.declaredLength(block);
    if (length > maxDecoded) {
      throw new DecodedTooLargeException(length);
    }
    return new ByteArrayInputStream(Snappy.uncompress(block));
  }

  /** The decoded stream, with the decoder's failures as {@link DecodingException}s. */
  private final class Decoding extends FilterInputStream {
    Decoding(InputStream decoded) {
      super(decoded);
    }

    @Override
    public int read() throws IOException {
      try {
        return super.read();
      } catch (IOException | RuntimeException e) {
        throw new DecodingException(ContentEncoding.this, e);
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return super.read(b, off, len);
      } catch (IOException | RuntimeException e) {
        throw new DecodingException(ContentEncoding.this, e);
      }
    }
  }

  /** A body that is not what its {@code Content-Encoding} says, or ends too early (a 400). */
  static final class DecodingException extends IOException {
    DecodingException(ContentEncoding encoding, Throwable cause) {
      super(
          "the body is not valid " + encoding.token + " or is truncated (" + cause.getMessage() + ")",
          cause);
    }
  }

  /** A snappy block that declares more decoded bytes than the limit (answered 413). */
  static final class DecodedTooLargeException extends IOException {
    DecodedTooLargeException(long declared) {
      super("the snappy block declares " + declared + " decoded bytes", null);
    }
  }
}
