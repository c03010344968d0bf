"""KMS: encrypt and decrypt a few bytes under the stack's own symmetric key, bound to an
encryption context (the listing's ``nextToken``, ``workflow.listing``).

KMS's symmetric encryption is AES-256-GCM: the ciphertext is authenticated, and the encryption
context is additional authenticated data, so a ciphertext decrypts only with the very context
it was made with (https://docs.aws.amazon.com/kms/latest/developerguide/encrypt_context.html).
The client is made on the first call only (``adapters.aws.client``): a GET that makes or reads
no token pays nothing for it.
"""

from repolink.adapters.aws import call, client
from repolink.errors import AwsRequestRejected

#: every AWS operation this module calls, by IAM service prefix (the security gate reads this)
OPERATIONS: dict[str, frozenset[str]] = {"kms": frozenset({"Encrypt", "Decrypt"})}

#: Decrypt's answers for a ciphertext that is not one this key made with this context: altered,
#: forged, made under another key (``KeyId`` is given, so another key is refused, never used), or
#: with another encryption context (https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html)
NOT_OURS = frozenset({"InvalidCiphertextException", "IncorrectKeyException"})


def encrypt(key_arn: str, plaintext: bytes, context: dict[str, str]) -> bytes:
    """``plaintext`` (1..4096 bytes) encrypted under ``key_arn``, bound to ``context``."""
    response = call(
        client("kms"),
        "Encrypt",
        KeyId=key_arn,
        Plaintext=plaintext,
        EncryptionContext=context,
        EncryptionAlgorithm="SYMMETRIC_DEFAULT",
    )
    return bytes(response["CiphertextBlob"])


def decrypt(key_arn: str, ciphertext: bytes, context: dict[str, str]) -> bytes | None:
    """The plaintext, or None when ``ciphertext`` is not one ``key_arn`` made with ``context``."""
    try:
        response = call(
            client("kms"),
            "Decrypt",
            KeyId=key_arn,
            CiphertextBlob=ciphertext,
            EncryptionContext=context,
            EncryptionAlgorithm="SYMMETRIC_DEFAULT",
        )
    except AwsRequestRejected as exc:
        if exc.code in NOT_OURS:
            return None
        raise
    return bytes(response["Plaintext"])
