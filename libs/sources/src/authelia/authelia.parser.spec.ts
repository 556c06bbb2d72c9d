import { join } from 'node:path';
import { describe } from 'node:test';
import { acceptingEnvelopes } from '../wrappers';
import { itAnswersEveryRecordFixture } from '../testing/record-fixture-cases';
import { autheliaParser } from './authelia.parser';

describe('authelia parser', () => {
  itAnswersEveryRecordFixture(join(__dirname, 'fixtures'), [acceptingEnvelopes(autheliaParser)]);
});
