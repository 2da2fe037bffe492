/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.dashboard;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The dashboard's files, read once from the classpath into memory (about 200 KB): our own assets
 * and the charting library from its WebJar. {@link #version()} is a digest of all of them, so a
 * changed file gets a new URL and caches never serve a stale mix of old and new modules.
 */
final class DashboardAssets {
  static final String ROOT = "io/faultline/web/dashboard/assets/";
  static final String INDEX = "index.html";

  /** WebJar artifact, the files we serve from its dist folder, and where they appear to the app. */
  private static final String UPLOT_WEBJAR = "uplot";

  private static final String[] UPLOT_FILES = {"dist/uPlot.iife.min.js", "dist/uPlot.min.css", "LICENSE"};

  /** One file: its bytes, content type and strong entity tag. */
  record Asset(byte[] bytes, String contentType, String etag) {}

  private final Map<String, Asset> files;
  private final String version;

  private DashboardAssets(Map<String, Asset> files, String version) {
    this.files = files;
    this.version = version;
  }

  /** Loads the assets packaged with this class; fails fast when the jar was built without them. */
  static DashboardAssets load() {
    ClassLoader loader = DashboardAssets.class.getClassLoader();
    Map<String, byte[]> raw = new TreeMap<>();
    try {
      URL root = loader.getResource(ROOT + INDEX);
      if (root == null) {
        throw new IllegalStateException(
            "dashboard assets missing from the classpath (" + ROOT + INDEX + "): rebuild"
                + " faultline-dashboard-web with its resources");
      }
      readOwn(root, raw);
      String uplot = webJarVersion(loader, "org.webjars.npm", UPLOT_WEBJAR);
      for (String f : UPLOT_FILES) {
        String name = "META-INF/resources/webjars/" + UPLOT_WEBJAR + "/" + uplot + "/" + f;
        raw.put("vendor/uplot/" + f.substring(f.lastIndexOf('/') + 1), read(loader, name));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the dashboard assets: " + e.getMessage(), e);
    }
    MessageDigest all = sha256();
    Map<String, Asset> files = new TreeMap<>();
    for (Map.Entry<String, byte[]> e : raw.entrySet()) {
      byte[] digest = sha256().digest(e.getValue());
      all.update(e.getKey().getBytes(StandardCharsets.UTF_8));
      all.update(digest);
      String etag = "\"" + HexFormat.of().formatHex(digest, 0, 10) + "\"";
      files.put(e.getKey(), new Asset(e.getValue(), contentType(e.getKey()), etag));
    }
    String version = HexFormat.of().formatHex(all.digest(), 0, 6);
    return new DashboardAssets(Collections.unmodifiableMap(files), version);
  }

  /** A short digest of every file: part of each asset URL. */
  String version() {
    return version;
  }

  Optional<Asset> get(String path) {
    return Optional.ofNullable(files.get(path));
  }

  Map<String, Asset> all() {
    return files;
  }

  private static void readOwn(URL index, Map<String, byte[]> into) throws IOException {
    if ("jar".equals(index.getProtocol())) {
      JarURLConnection connection = (JarURLConnection) index.openConnection();
      connection.setUseCaches(false);
      try (JarFile jar = connection.getJarFile()) {
        for (JarEntry entry : Collections.list(jar.entries())) {
          String name = entry.getName();
          if (!entry.isDirectory() && name.startsWith(ROOT)) {
            try (InputStream in = jar.getInputStream(entry)) {
              into.put(name.substring(ROOT.length()), in.readAllBytes());
            }
          }
        }
      }
      return;
    }
    try {
      Path dir = Path.of(index.toURI()).getParent();
      try (Stream<Path> walk = Files.walk(dir)) {
        for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
          into.put(dir.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
        }
      }
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw new IOException("unsupported location of the dashboard assets: " + index, e);
    }
  }

  private static String webJarVersion(ClassLoader loader, String group, String artifact)
      throws IOException {
    String name = "META-INF/maven/" + group + "/" + artifact + "/pom.properties";
    try (InputStream in = loader.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(
            "the WebJar " + group + ":" + artifact + " is missing from the classpath (" + name
                + "): the dashboard needs it for its charts");
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    }
  }

  private static byte[] read(ClassLoader loader, String name) throws IOException {
    try (InputStream in = loader.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing from the classpath: " + name);
      }
      return in.readAllBytes();
    }
  }

  static String contentType(String name) {
    String ext = name.substring(name.lastIndexOf('.') + 1);
    return switch (ext) {
      case "html" -> "text/html; charset=utf-8";
      case "js" -> "text/javascript; charset=utf-8";
      case "css" -> "text/css; charset=utf-8";
      case "svg" -> "image/svg+xml";
      case "png" -> "image/png";
      case "json" -> "application/json";
      default -> "text/plain; charset=utf-8";
    };
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM lacks SHA-256", e);
    }
  }
}
