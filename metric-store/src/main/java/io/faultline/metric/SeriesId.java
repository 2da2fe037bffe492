/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import io.faultline.metric.storage.Labels;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import org.apache.lucene.util.BytesRef;

/**
 * A series' identity in the index: the 128-bit MD5 of its encoded label set. Chunk documents carry
 * it instead of the labels; at 128 bits two distinct label sets colliding is not a practical
 * concern (about 10^-26 for a million series), and a collision could only merge two series.
 */
final class SeriesId {
  static final int LENGTH = 16;

  private SeriesId() {}

  static BytesRef of(Labels labels) {
    return of(encode(labels));
  }

  private static final ThreadLocal<MessageDigest> MD5 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("MD5");
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException(
                  "the JVM lacks MD5, which every Java runtime must have", e);
            }
          });

  static BytesRef of(byte[] encodedLabels) {
    return new BytesRef(MD5.get().digest(encodedLabels));
  }

  static BytesRef of(byte[] buf, int offset, int length) {
    MessageDigest md5 = MD5.get();
    md5.update(buf, offset, length);
    return new BytesRef(md5.digest());
  }

  /** Labels as bytes: a count, then each name and value as length-prefixed UTF-8. */
  static byte[] encode(Labels labels) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + labels.size() * 16);
      DataOutputStream out = new DataOutputStream(bytes);
      writeVInt(out, labels.size());
      for (int i = 0; i < labels.size(); i++) {
        writeString(out, labels.name(i));
        writeString(out, labels.value(i));
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Labels decode(byte[] b, int off, int len) {
    try {
      DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(b, off, len));
      int n = readVInt(in);
      Labels.Builder lb = Labels.builder();
      for (int i = 0; i < n; i++) {
        lb.set(readString(in), readString(in));
      }
      return lb.build();
    } catch (IOException e) {
      throw new IllegalStateException("corrupt label set in the metric index", e);
    }
  }

  static String hex(BytesRef id) {
    StringBuilder sb = new StringBuilder();
    for (byte x : Arrays.copyOfRange(id.bytes, id.offset, id.offset + id.length)) {
      sb.append(String.format("%02x", x));
    }
    return sb.toString();
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    writeVInt(out, b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    byte[] b = new byte[readVInt(in)];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  static void writeVInt(java.io.DataOutput out, int v) throws IOException {
    while ((v & ~0x7F) != 0) {
      out.writeByte((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out.writeByte(v);
  }

  static int readVInt(java.io.DataInput in) throws IOException {
    int v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      int b = in.readByte() & 0xFF;
      v |= (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    throw new IOException("malformed variable-length integer");
  }
}
