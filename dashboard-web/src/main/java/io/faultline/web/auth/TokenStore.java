/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.auth;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.faultline.core.auth.Credentials;
import io.faultline.core.auth.IngestAuthenticator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bearer tokens and their roles, kept in {@code tokens.json} in the data directory. Only SHA-256
 * digests are stored, so the file does not reveal tokens; a new token is shown once, when it is
 * created. Thread-safe.
 *
 * <p>It also decides who may ingest ({@link IngestAuthenticator}): while no token has the {@code
 * ingest} role, ingest is open; once one has, every ingest request needs a token of any role, and
 * its data belongs to the tenant that token names.
 */
public final class TokenStore implements IngestAuthenticator {
  private static final Logger LOG = LoggerFactory.getLogger(TokenStore.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();
  /** The name of the token that the first start generates or FAULTLINE_ADMIN_TOKEN sets. */
  public static final String ADMIN_TOKEN_NAME = "admin";

  private final Path file;
  private final Map<String, Entry> byName = new LinkedHashMap<>();
  /** Whether some token has the ingest role, i.e. ingest needs a token. */
  private volatile boolean ingestTokens;

  /** One stored token: its name, role and the hex SHA-256 of its secret. */
  public record Entry(String name, String role, String sha256) {}

  private TokenStore(Path file) {
    this.file = file;
  }

  /** Opens (or creates) the store at {@code dir/tokens.json}. */
  public static TokenStore open(Path dir) throws IOException {
    Files.createDirectories(dir);
    TokenStore store = new TokenStore(dir.resolve("tokens.json"));
    if (Files.exists(store.file)) {
      List<Entry> entries = JSON.readValue(store.file.toFile(), new TypeReference<List<Entry>>() {});
      for (Entry e : entries) {
        Role.parse(e.role());
        store.byName.put(e.name(), e);
      }
    }
    store.ingestTokens = store.hasIngestTokens();
    return store;
  }

  /**
   * Makes sure an admin token exists. With {@code configured} non-blank, that value becomes the
   * admin token (replacing a generated one). Otherwise, when no admin token exists yet, one is
   * generated and returned so the caller can print it once.
   *
   * @return the newly generated admin token, if one was generated
   */
  public synchronized Optional<String> ensureAdmin(String configured) throws IOException {
    if (configured != null && !configured.isBlank()) {
      put(new Entry(ADMIN_TOKEN_NAME, Role.ADMIN.wireName(), sha256(configured)));
      return Optional.empty();
    }
    if (byName.containsKey(ADMIN_TOKEN_NAME)) {
      return Optional.empty();
    }
    String token = newSecret();
    put(new Entry(ADMIN_TOKEN_NAME, Role.ADMIN.wireName(), sha256(token)));
    return Optional.of(token);
  }

  /**
   * Makes {@code secret} the token named {@code name} with {@code role}, replacing a token of
   * that name (tokens declared in the configuration, such as ingest tokens per tenant).
   */
  public synchronized void ensure(String name, Role role, String secret) throws IOException {
    checkName(name);
    if (secret == null || secret.isBlank()) {
      throw new IllegalArgumentException("the token named '" + name + "' has an empty secret");
    }
    Entry e = new Entry(name, role.wireName(), sha256(secret));
    if (!e.equals(byName.get(name))) {
      put(e);
    }
  }

  /** Creates a token with a fresh secret and returns the secret (shown once, never stored). */
  public synchronized String create(String name, Role role) throws IOException {
    checkName(name);
    if (byName.containsKey(name)) {
      throw new IllegalArgumentException("a token named '" + name + "' exists already");
    }
    String token = newSecret();
    put(new Entry(name, role.wireName(), sha256(token)));
    return token;
  }

  private static void checkName(String name) {
    if (name == null || !name.matches("[A-Za-z0-9_.-]{1,64}")) {
      throw new IllegalArgumentException(
          "token name must be 1-64 characters of letters, digits, '.', '_' or '-'");
    }
  }

  /** Deletes a token; returns false when there was none of that name. */
  public synchronized boolean delete(String name) throws IOException {
    if (byName.remove(name) == null) {
      return false;
    }
    save();
    return true;
  }

  /** Whether ingest needs a token: some token has the ingest role. */
  public boolean ingestRequiresToken() {
    return ingestTokens;
  }

  @Override
  public String authenticate(String authorization) {
    String token = Credentials.token(authorization);
    if (token == null) {
      if (ingestTokens) {
        throw new IngestAuthException(
            "ingest requires a token (ingest tokens are configured): send 'Authorization: Bearer"
                + " <token>' with an ingest token or any query token");
      }
      return ANONYMOUS;
    }
    Optional<FaultlinePrincipal> p = authenticateToken(token);
    if (p.isPresent()) {
      return p.get().name();
    }
    if (ingestTokens) {
      throw new IngestAuthException("unknown or revoked token; ingest needs a valid ingest or query token");
    }
    return ANONYMOUS;
  }

  /** Names and roles of every token (never secrets). */
  public synchronized List<Entry> list() {
    return new ArrayList<>(byName.values());
  }

  /** The principal of a presented token, compared in constant time against every stored digest. */
  public synchronized Optional<FaultlinePrincipal> authenticateToken(String token) {
    if (token == null || token.isEmpty()) {
      return Optional.empty();
    }
    byte[] digest = sha256Bytes(token);
    FaultlinePrincipal found = null;
    for (Entry e : byName.values()) {
      if (MessageDigest.isEqual(digest, HexFormat.of().parseHex(e.sha256()))) {
        found = new FaultlinePrincipal(e.name(), Role.parse(e.role()));
      }
    }
    return Optional.ofNullable(found);
  }

  private void put(Entry e) throws IOException {
    byName.put(e.name(), e);
    save();
  }

  private boolean hasIngestTokens() {
    return byName.values().stream().anyMatch(e -> Role.parse(e.role()) == Role.INGEST);
  }

  private void save() throws IOException {
    ingestTokens = hasIngestTokens();
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), new ArrayList<>(byName.values()));
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    LOG.debug("saved {} tokens to {}", byName.size(), file);
  }

  static String newSecret() {
    byte[] b = new byte[24];
    RANDOM.nextBytes(b);
    return "fl_" + HexFormat.of().formatHex(b);
  }

  static String sha256(String s) {
    return HexFormat.of().formatHex(sha256Bytes(s));
  }

  private static byte[] sha256Bytes(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM lacks SHA-256", e);
    }
  }
}
