/**
 * Shared by the registry integration tests: a connection to the stack's registry (Apicurio's Confluent
 * API unless QUINTET_SCHEMA_REGISTRY_URL points elsewhere) and cleanup of the subjects a test made.
 */
import { connectSchemaRegistry, type SchemaRegistryConnection } from '../../../connectors/schema-registry/index.js';
import { testConfig, uniqueName } from '../../support/environment.js';

export function registryConnection(): SchemaRegistryConnection {
  return connectSchemaRegistry(testConfig());
}

/** A fresh `<topic>-value` subject name, recorded for cleanup. */
export class SubjectJanitor {
  readonly #subjects = new Set<string>();
  constructor(private readonly connection: SchemaRegistryConnection) {}

  valueSubject(prefix: string): { topic: string; subject: string } {
    const topic = uniqueName(prefix);
    const subject = `${topic}-value`;
    this.#subjects.add(subject);
    return { topic, subject };
  }

  track(subject: string): string {
    this.#subjects.add(subject);
    return subject;
  }

  async cleanup(): Promise<void> {
    for (const subject of this.#subjects) await this.connection.rest.deleteSubject(subject, { permanent: true });
    this.#subjects.clear();
  }
}
