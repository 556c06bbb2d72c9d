/**
 * The decoded shape of the ext_authz messages Ratchet uses (proto-loader with `keepCase`,
 * `enums: Number`, `oneofs`), as declared in ./proto. Every field may be missing on the wire.
 */
export interface StructValue {
  stringValue?: string;
  structValue?: ProtoStruct;
}
export interface ProtoStruct {
  fields?: Record<string, StructValue>;
}
export interface ProtoMetadata {
  filter_metadata?: Record<string, ProtoStruct>;
}
export interface ProtoPeer {
  address?: { socket_address?: { address?: string } };
  principal?: string;
}
export interface ProtoCheckRequest {
  attributes?: {
    source?: ProtoPeer;
    request?: { http?: { method?: string; path?: string; host?: string; headers?: Record<string, string> } };
    context_extensions?: Record<string, string>;
    metadata_context?: ProtoMetadata;
  };
}
export interface ProtoHeaderValueOption {
  header: { key: string; value: string };
}
export interface ProtoCheckResponse {
  status: { code: number; message?: string };
  denied_response?: { status: { code: number }; headers: ProtoHeaderValueOption[]; body: string };
  ok_response?: { headers: ProtoHeaderValueOption[] };
}
