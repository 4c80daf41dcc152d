-- CONTRACT §10. Service state, not custody state (not a projection; verify's replay does not
-- compare it): the witnesses' cosignatures collected for each checkpoint. `witness` is the
-- witness's verifier key (`name+id+base64`), `line` the signature line without its newline.
CREATE TABLE cosignatures (size BIGINT NOT NULL, witness TEXT COLLATE "C" NOT NULL, line TEXT COLLATE "C" NOT NULL, PRIMARY KEY (size, witness));
