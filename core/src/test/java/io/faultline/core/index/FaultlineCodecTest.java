/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.lucene.codecs.Codec;
import org.apache.lucene.codecs.compressing.Compressor;
import org.apache.lucene.codecs.compressing.Decompressor;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.CorruptIndexException;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.SegmentCommitInfo;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.store.ByteArrayDataInput;
import org.apache.lucene.store.ByteBuffersDataInput;
import org.apache.lucene.store.ByteBuffersDataOutput;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.apache.lucene.util.BytesRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaultlineCodecTest {
  private final Random random = new Random(20261125L);

  /** Text-like bytes that compress, with random stretches that do not. */
  private byte[] document(int length) {
    byte[] b = new byte[length];
    String words = "span http.method GET POST /api/orders/{id} db.statement SELECT * FROM ";
    for (int i = 0; i < length; i++) {
      b[i] =
          random.nextInt(8) == 0
              ? (byte) random.nextInt(256)
              : (byte) words.charAt((i * 7 + random.nextInt(3)) % words.length());
    }
    return b;
  }

  private static byte[] compress(Compressor compressor, byte[] bytes) throws IOException {
    ByteBuffersDataOutput out = new ByteBuffersDataOutput();
    compressor.compress(new ByteBuffersDataInput(List.of(java.nio.ByteBuffer.wrap(bytes))), out);
    return out.toArrayCopy();
  }

  @Test
  void itsNativeLibraryLoadsHere() {
    assertThat(FaultlineCodec.unavailable()).isNull();
  }

  /**
   * Where the native library cannot load (here: zstd-jni told to unpack it into a directory that
   * does not exist, as with an unwritable temporary directory), the index still takes documents,
   * written with DEFLATE, and knows why (the reason its log gives).
   */
  @Test
  void withoutItsNativeLibraryTheIndexWritesDeflateAndSaysWhy(@TempDir Path dir) throws Exception {
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "-DZstdTempFolder=" + dir.resolve("no-such-directory"),
                ZstdFallbackMain.class.getName(),
                dir.resolve("index").toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output)
        .contains("codec Lucene912")
        .doesNotContain("codec " + FaultlineCodec.NAME)
        .contains("found 1")
        .containsPattern("unavailable \\S+")
        .doesNotContain("unavailable null");
  }

  @Test
  void everyWindowOfEveryChunkSizeComesBackExactly() throws IOException {
    ZstdCompressionMode mode = new ZstdCompressionMode(3);
    try (Compressor compressor = mode.newCompressor()) {
      // sizes around the dictionary's and sub-blocks' edges (a dictionary is a sixtieth)
      for (int length : new int[] {0, 1, 59, 60, 61, 599, 600, 4_097, 65_536, 491_520, 700_001}) {
        byte[] chunk = document(length);
        byte[] compressed = compress(compressor, chunk);
        Decompressor decompressor = mode.newDecompressor();
        for (int i = 0; i < 40; i++) {
          int offset = length == 0 ? 0 : random.nextInt(length);
          int windowLength = random.nextInt(length - offset + 1);
          if (i == 0) {
            offset = 0;
            windowLength = length;
          }
          BytesRef out = new BytesRef();
          decompressor.decompress(
              new ByteArrayDataInput(compressed), length, offset, windowLength, out);
          assertThat(Arrays.copyOfRange(out.bytes, out.offset, out.offset + out.length))
              .as("bytes %d..%d of a %d-byte chunk", offset, offset + windowLength, length)
              .isEqualTo(Arrays.copyOfRange(chunk, offset, offset + windowLength));
        }
      }
    }
  }

  @Test
  void compressesTextAboutAsWellAsDeflate() throws IOException {
    byte[] chunk = document(491_520);
    int zstd;
    int deflate;
    try (Compressor c = new ZstdCompressionMode(3).newCompressor()) {
      zstd = compress(c, chunk).length;
    }
    try (Compressor c =
        org.apache.lucene.codecs.lucene90.Lucene90StoredFieldsFormat.BEST_COMPRESSION_MODE
            .newCompressor()) {
      deflate = compress(c, chunk).length;
    }
    assertThat(zstd).as("Zstandard %d bytes, DEFLATE %d", zstd, deflate).isLessThan(chunk.length).isLessThan(deflate * 5 / 4);
  }

  @Test
  void aDamagedBlockIsACorruptIndexNotGarbage() throws IOException {
    ZstdCompressionMode mode = new ZstdCompressionMode(3);
    byte[] chunk = document(100_000);
    byte[] compressed;
    try (Compressor compressor = mode.newCompressor()) {
      compressed = compress(compressor, chunk);
    }
    compressed[compressed.length / 2] ^= 0x5a;
    compressed[compressed.length / 2 + 1] ^= 0x3c;
    assertThatThrownBy(
            () ->
                mode.newDecompressor()
                    .decompress(
                        new ByteArrayDataInput(compressed), 100_000, 0, 100_000, new BytesRef()))
        .isInstanceOf(CorruptIndexException.class);
  }

  @Test
  void isFoundByItsNameAndReadsAndMergesSegmentsOfLucenesOwnCodec() throws IOException {
    assertThat(Codec.forName(FaultlineCodec.NAME)).isInstanceOf(FaultlineCodec.class);
    List<byte[]> stored = new ArrayList<>();
    try (Directory dir = new ByteBuffersDirectory()) {
      // a segment as earlier versions wrote it, then segments of this codec
      write(dir, new Lucene912Codec(Lucene912Codec.Mode.BEST_COMPRESSION), stored, 500);
      write(dir, new FaultlineCodec(), stored, 3_000);
      write(dir, new FaultlineCodec(), stored, 2_000);
      assertThat(codecs(dir)).containsExactly("Lucene912", FaultlineCodec.NAME, FaultlineCodec.NAME);
      assertStored(dir, stored);

      IndexWriterConfig config = new IndexWriterConfig().setCodec(new FaultlineCodec());
      try (IndexWriter w = new IndexWriter(dir, config)) {
        w.forceMerge(1);
      }
      assertThat(codecs(dir)).containsExactly(FaultlineCodec.NAME);
      assertStored(dir, stored);
    }
  }

  private void write(Directory dir, Codec codec, List<byte[]> stored, int docs) throws IOException {
    try (IndexWriter w = new IndexWriter(dir, new IndexWriterConfig().setCodec(codec))) {
      for (int i = 0; i < docs; i++) {
        byte[] value = document(random.nextInt(10) == 0 ? random.nextInt(100_000) : random.nextInt(600));
        Document doc = new Document();
        doc.add(new StringField("id", Integer.toString(stored.size()), Field.Store.YES));
        doc.add(new StoredField("value", value));
        w.addDocument(doc);
        stored.add(value);
      }
      w.commit();
    }
  }

  private static List<String> codecs(Directory dir) throws IOException {
    List<String> names = new ArrayList<>();
    for (SegmentCommitInfo info : SegmentInfos.readLatestCommit(dir)) {
      names.add(info.info.getCodec().getName());
    }
    return names;
  }

  private static void assertStored(Directory dir, List<byte[]> stored) throws IOException {
    try (DirectoryReader reader = DirectoryReader.open(dir)) {
      assertThat(reader.numDocs()).isEqualTo(stored.size());
      StoredFields fields = reader.storedFields();
      for (int doc = 0; doc < reader.maxDoc(); doc++) {
        Document d = fields.document(doc);
        int id = Integer.parseInt(d.get("id"));
        BytesRef value = d.getBinaryValue("value");
        assertThat(Arrays.copyOfRange(value.bytes, value.offset, value.offset + value.length))
            .as("document %d", id)
            .isEqualTo(stored.get(id));
      }
    }
  }
}
